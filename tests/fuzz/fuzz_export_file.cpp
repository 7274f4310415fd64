// The export file of `kernelctl import` (cache/src/export_file.cpp). A file it accepts must come
// back from write_export_file as the same entries: every field, the payload, the compile time.
#include "fuzz_check.h"

#include <becore/cache/export_file.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

namespace {

bool same(const be::ExportedEntry& a, const be::ExportedEntry& b) {
    return a.key == b.key && a.fields == b.fields && a.headers == b.headers &&
           a.source_display == b.source_display && a.metadata == b.metadata &&
           a.checksum == b.checksum && a.compile_seconds == b.compile_seconds &&
           a.payload == b.payload;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto entries = be::parse_export_file(fuzz::chars(data, size));
    if (!entries) {
        FUZZ_CHECK(!entries.error().message.empty());
        return 0;
    }
    // Rare (every entry's key and checksums must hold), so a file on disk costs nothing.
    const auto file = std::filesystem::temp_directory_path() /
                      ("becore-fuzz-export-" + std::to_string(::getpid()) + ".becache");
    auto written = be::write_export_file(file, entries->size(), [&](uint64_t i) {
        return be::Result<be::ExportedEntry>((*entries)[i]);
    });
    FUZZ_CHECK(written.ok());
    std::ifstream in(file, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
    std::filesystem::remove(file);
    auto again = be::parse_export_file(bytes);
    FUZZ_CHECK(again.ok() && again->size() == entries->size());
    for (size_t i = 0; i < entries->size(); ++i)
        FUZZ_CHECK(same((*again)[i], (*entries)[i]));
    return 0;
}
