// Helpers shared by the backend loaders (backend.h).
#include "backend.h"

#include <xxhash.h>

#include <cstdio>

namespace be::detail {

std::string source_content_key(const CacheKeyInputs& inputs, const std::string& prefix) {
    XXH3_state_t* state = XXH3_createState();
    XXH3_128bits_reset(state);
    auto add = [&](const std::string& field) {
        uint64_t size = field.size();
        XXH3_128bits_update(state, &size, sizeof size);
        XXH3_128bits_update(state, field.data(), field.size());
    };
    add(prefix);
    add(inputs.backend);
    add(inputs.source_text);
    for (const auto& flag : inputs.flags)
        add(flag);
    add(inputs.target);
    XXH128_hash_t hash = XXH3_128bits_digest(state);
    XXH3_freeState(state);
    char text[33];
    std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(hash.high64),
                  static_cast<unsigned long long>(hash.low64));
    return text;
}

std::string metadata_for(const std::string& prefix, const std::vector<Signature>& signatures) {
    std::string names;
    for (const auto& s : signatures)
        names += (names.empty() ? "" : ",") + prefix + "." + s.name;
    return names;
}

void fail_all(SourceBuild& build, const Error& error) {
    for (auto& impl : build.impls)
        impl->load_error = error;
}

void fail_build(SourceBuild& build, Error error) {
    fail_all(build, error);
    build.failure = std::move(error);
}

const Registry*& calling_registry() {
    thread_local const Registry* registry = nullptr;
    return registry;
}

} // namespace be::detail
