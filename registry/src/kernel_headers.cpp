#include "kernel_headers.h"

#include <becore/runtime/paths.h>

#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace be {

const std::string& kernel_headers_hash() {
    static const std::string hash = [] {
        auto root = kernel_include_dir();
        std::vector<std::filesystem::path> files;
        std::error_code ec;
        for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
             !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
            if (it->is_regular_file()) files.push_back(it->path());
        std::sort(files.begin(), files.end());
        std::string material;
        for (const auto& file : files) {
            std::ifstream in(file, std::ios::binary);
            std::ostringstream content;
            content << in.rdbuf();
            auto rel = file.lexically_relative(root).string();
            material += std::to_string(rel.size()) + ":" + rel +
                        std::to_string(content.str().size()) + ":" + content.str();
        }
        XXH128_hash_t digest = XXH3_128bits(material.data(), material.size());
        char text[33];
        std::snprintf(text, sizeof text, "%016llx%016llx",
                      static_cast<unsigned long long>(digest.high64),
                      static_cast<unsigned long long>(digest.low64));
        return std::string(text);
    }();
    return hash;
}

} // namespace be
