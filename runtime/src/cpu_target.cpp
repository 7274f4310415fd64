// CPU targets (cpu_target.h): BECORE_CPU_TARGET, the x86-64 levels this host runs, and the key's
// target field.
#include "settings_state.h"
#include <becore/runtime/cpu_target.h>

// LLVM is linked statically and privately (runtime/CMakeLists.txt): its inline functions and
// template instances emitted here must not be exported either.
#pragma GCC visibility push(hidden)
#include <llvm/ADT/StringMap.h>
#include <llvm/Support/Host.h>
#pragma GCC visibility pop

#include <algorithm>
#include <cstdlib>
#include <initializer_list>

namespace be {
namespace {

// What each level adds to the one below (cpu_target.h lists the same), in LLVM's feature names.
// GCC and clang derive -march=x86-64-vN from the same psABI table; LLVM also lists crc32, which
// it implies from sse4.2.
const std::initializer_list<std::string_view>& level_features(size_t index_from_lowest) {
    static const std::initializer_list<std::string_view> v2{"cx16",   "popcnt", "sahf", "sse3",
                                                            "sse4.1", "sse4.2", "ssse3"};
    static const std::initializer_list<std::string_view> v3{"avx", "avx2",  "bmi",   "bmi2", "f16c",
                                                            "fma", "lzcnt", "movbe", "xsave"};
    static const std::initializer_list<std::string_view> v4{"avx512f", "avx512bw", "avx512cd",
                                                            "avx512dq", "avx512vl"};
    static const std::initializer_list<std::string_view>* by_level[] = {&v2, &v3, &v4};
    return *by_level[index_from_lowest];
}

bool is_x86_64(std::string_view triple) {
    return triple.rfind("x86_64", 0) == 0;
}

std::set<std::string> host_features() {
    llvm::StringMap<bool> features;
    std::set<std::string> enabled;
    if (llvm::sys::getHostCPUFeatures(features))
        for (const auto& entry : features)
            if (entry.getValue()) enabled.insert(entry.getKey().str());
    return enabled;
}

std::string accepted_values() {
    return "expected native, portable (= " + std::string(k_cpu_portable_level) +
           "), x86-64-v2, x86-64-v3 or x86-64-v4";
}

} // namespace

Result<std::string> parse_cpu_target(std::string_view text) {
    if (text == k_cpu_native) return std::string(k_cpu_native);
    if (text == "portable") return std::string(k_cpu_portable_level);
    for (auto level : k_cpu_levels)
        if (text == level) return std::string(level);
    return make_error(ErrorCode::invalid_argument, accepted_values());
}

Result<std::string> resolve_cpu_target(std::string_view requested) {
    std::string origin = "LoadOptions::cpu_target";
    std::string_view text = requested;
    std::string configured;
    if (text.empty()) {
        configured = detail::cpu_target_setting();
        text = configured;
        origin = "Settings::cpu_target";
    }
    if (text.empty()) {
        const char* value = std::getenv("BECORE_CPU_TARGET");
        if (value == nullptr || *value == '\0') return std::string(k_cpu_native);
        text = value;
        origin = "BECORE_CPU_TARGET";
    }
    auto target = parse_cpu_target(text);
    if (!target)
        return make_error(ErrorCode::invalid_argument,
                          origin + "=" + std::string(text) + ": " + accepted_values());
    const std::string triple = llvm::sys::getProcessTriple();
    if (*target != k_cpu_native && !is_x86_64(triple))
        return make_error(ErrorCode::unavailable, origin + "=" + std::string(text) +
                                                      ": the x86-64 levels need an x86-64 "
                                                      "host; this one is " +
                                                      triple + " (use native)");
    return target;
}

std::vector<std::string> cpu_levels_supported(std::string_view triple,
                                              const std::set<std::string>& features) {
    if (!is_x86_64(triple)) return {};
    std::vector<std::string> levels; // lowest first while building
    for (size_t i = 0; i < k_cpu_levels.size(); ++i) {
        const auto& needed = level_features(i);
        bool all = std::all_of(needed.begin(), needed.end(), [&](std::string_view f) {
            return features.count(std::string(f)) != 0;
        });
        if (!all) break; // a level includes the ones below it
        levels.emplace_back(k_cpu_levels[k_cpu_levels.size() - 1 - i]);
    }
    std::reverse(levels.begin(), levels.end());
    return levels;
}

const std::vector<std::string>& host_cpu_levels() {
    static const std::vector<std::string> levels =
        cpu_levels_supported(llvm::sys::getProcessTriple(), host_features());
    return levels;
}

bool host_runs_cpu_target(std::string_view target) {
    if (target == k_cpu_native) return true;
    const auto& levels = host_cpu_levels();
    return std::find(levels.begin(), levels.end(), target) != levels.end();
}

std::string cpu_target_description(std::string_view target) {
    if (target != k_cpu_native) return llvm::sys::getProcessTriple() + ";" + std::string(target);
    static const std::string native = [] {
        std::string text =
            llvm::sys::getProcessTriple() + ";" + llvm::sys::getHostCPUName().str() + ";";
        for (const auto& name : host_features()) // a std::set: sorted
            text += "+" + name + ",";
        return text;
    }();
    return native;
}

} // namespace be
