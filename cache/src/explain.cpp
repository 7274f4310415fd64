// `kernelctl show KEY` and `kernelctl explain FILE`: reading entries without counting,
// touching or repairing anything.
#include "cache_impl.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <tuple>

namespace be::cache_detail {

namespace fs = std::filesystem;

namespace {

// Key fields with the flags folded into one "flags" field (space-separated), as a user thinks
// of them.
std::vector<std::pair<std::string, std::string>> folded(const KeyFields& fields) {
    std::vector<std::pair<std::string, std::string>> out;
    std::string flags;
    for (const auto& [name, value] : fields) {
        if (name.rfind("flag[", 0) == 0)
            flags += (flags.empty() ? "" : " ") + value;
        else
            out.emplace_back(name, value);
    }
    // In hashing order: the flags come between the source and the target.
    auto target = std::find_if(out.begin(), out.end(),
                               [](const auto& field) { return field.first == "target"; });
    out.emplace(target, "flags", flags);
    return out;
}

std::vector<CacheExplanation::Difference> differences(const KeyFields& ours,
                                                      const KeyFields& theirs) {
    std::map<std::string, std::string> theirs_by_name;
    for (const auto& [name, value] : folded(theirs))
        theirs_by_name[name] = value;
    std::vector<CacheExplanation::Difference> out;
    for (const auto& [name, value] : folded(ours))
        if (theirs_by_name[name] != value) out.push_back({name, value, theirs_by_name[name]});
    return out;
}

// What differs in the headers of an entry whose fields all match: the files it read then,
// hashed where they are found today.
std::vector<CacheExplanation::Difference> header_differences(const std::string& manifest_text,
                                                             const std::vector<fs::path>& roots) {
    std::vector<CacheExplanation::Difference> out;
    auto manifest = manifest_from_text(manifest_text);
    if (!manifest) return {{"headers", "", "(unreadable manifest)"}};
    HeaderHashes hashes;
    for (const auto& header : *manifest) {
        std::string name = "header " + std::to_string(header.root) + ":" + header.path;
        auto path = locate_header(header, roots);
        if (!path) {
            out.push_back({name, "(include root " + std::to_string(header.root) + " not given)",
                           header.hash});
            continue;
        }
        const auto& hash = hashes.get(*path);
        if (!hash)
            out.push_back({name, "(missing: " + path->string() + ")", header.hash});
        else if (*hash != header.hash)
            out.push_back({name, *hash + " (" + path->string() + ")", header.hash});
    }
    return out;
}

CacheEntryDetail detail_of(const FullRow& row, const Layer& layer) {
    CacheEntryDetail detail;
    auto& info = detail.info;
    info.key = row.key;
    for (const auto& [name, value] : row.fields) {
        if (name == "backend") info.backend = value;
        if (name == "target") info.target = value;
        if (name == "toolchain") info.toolchain = value;
    }
    info.source_display = row.source_display;
    info.size_bytes = row.size_bytes;
    info.compile_seconds = row.compile_seconds;
    info.created = row.created;
    info.last_used = row.last_used;
    info.hits = row.hits;
    info.metadata = row.metadata;
    detail.direct_key = row.direct_key;
    detail.fields = folded(row.fields);
    detail.headers = row.headers;
    detail.checksum = hex64(row.checksum);
    if (layer.disk != nullptr) detail.blob_path = layer.disk->path_of(row.key);
    detail.layer = layer.dir;
    return detail;
}

} // namespace

Result<CacheEntryDetail> CacheImpl::show(const std::string& key_prefix) {
    std::string prefix = key_prefix;
    std::transform(prefix.begin(), prefix.end(), prefix.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (prefix.empty() || prefix.size() > 32 ||
        prefix.find_first_not_of("0123456789abcdef") != std::string::npos)
        return make_error(ErrorCode::invalid_argument,
                          "show(" + key_prefix + "): a key is 1 to 32 hex digits");
    std::vector<Layer*> search;
    if (user_readable()) search.push_back(user_.get());
    for (Layer* layer : read_layers())
        search.push_back(layer);
    std::vector<std::pair<FullRow, Layer*>> matches;
    for (Layer* layer : search) {
        auto rows = layer->index->with_prefix(prefix, 10);
        if (!rows)
            return make_error(rows.error().code(),
                              "show(" + key_prefix + "): " + rows.error().message);
        for (auto& row : *rows)
            matches.emplace_back(std::move(row), layer);
    }
    if (matches.empty())
        return make_error(ErrorCode::not_found, "show(" + key_prefix +
                                                    "): no cache entry has a key starting with " +
                                                    prefix);
    if (matches.size() > 1) {
        std::string which;
        for (const auto& [row, layer] : matches)
            which += "\n  " + row.key + "  " + row.source_display;
        return make_error(ErrorCode::invalid_argument,
                          "show(" + key_prefix + "): the prefix matches several entries:" + which);
    }
    auto detail = detail_of(matches[0].first, *matches[0].second);
    if (matches[0].second == user_.get()) {
        std::lock_guard lock(stats_mutex_);
        if (auto use = pending_.uses.find(detail.info.key); use != pending_.uses.end()) {
            detail.info.hits += use->second.hits;
            detail.info.last_used = std::max(detail.info.last_used, use->second.last_used);
        }
    }
    return detail;
}

CacheExplanation CacheImpl::explain(const CacheKeyInputs& inputs) {
    CacheExplanation out;
    KeyFields fields = describe_key_fields(inputs);
    out.direct_key = direct_key(fields);
    out.fields = folded(fields);
    std::vector<Layer*> search;
    if (user_readable()) search.push_back(user_.get());
    if (overlay_ready_) search.push_back(&overlay());
    for (Layer* layer : read_layers())
        search.push_back(layer);

    // What a lookup would do, step by step, minus the counting and the repairs.
    HeaderHashes hashes;
    for (Layer* layer : search) {
        auto manifests = layer->index->manifests(out.direct_key);
        if (!manifests) continue;
        for (const auto& row : *manifests) {
            auto manifest = manifest_from_text(row.headers);
            if (!manifest || !manifest_matches(*manifest, inputs.include_roots, hashes) ||
                full_key(out.direct_key, *manifest) != row.full_key)
                continue;
            auto entry = layer->index->find(row.full_key);
            if (!entry || !entry->has_value()) continue;
            BlobRead read = layer->blobs->get(row.full_key, (*entry)->checksum);
            if (read.status == BlobStatus::ok) {
                out.hit = true;
                out.key = row.full_key;
                out.layer = layer->dir;
                return out;
            }
            if (out.blob_problem.empty()) {
                out.key = row.full_key;
                out.blob_problem = read.detail;
            }
        }
    }

    // The nearest entry: fewest differing fields, then the same source file, then the newest.
    using Rank = std::tuple<size_t, int, int64_t>; // (differences, other file, -created)
    std::optional<Rank> best;
    for (Layer* layer : search) {
        if (layer == overlay_.get()) continue;
        auto rows = layer->index->rows();
        if (!rows) continue;
        for (const auto& row : *rows) {
            auto diffs = differences(fields, row.fields);
            if (diffs.empty()) diffs = header_differences(row.headers, inputs.include_roots);
            Rank rank{diffs.size(), row.source_display == inputs.source_display ? 0 : 1,
                      -row.created};
            if (best && !(rank < *best)) continue;
            best = rank;
            out.nearest_key = row.key;
            out.nearest_source = row.source_display;
            out.differences = std::move(diffs);
        }
    }
    return out;
}

} // namespace be::cache_detail
