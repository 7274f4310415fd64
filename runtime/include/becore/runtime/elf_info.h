// What becore reads from a shared library's ELF file without mapping it: the GNU build-id (the
// linker's hash of the build, which identifies it exactly) and DT_SONAME. NVRTC's identity in
// the cache key comes from here, so a warm start neither loads nor hashes libnvrtc (109 MB).
#pragma once

#include <becore/runtime/error.h>

#include <filesystem>
#include <span>
#include <string>

namespace be {

struct ElfInfo {
    std::string build_id; // lowercase hex of NT_GNU_BUILD_ID's bytes; empty when absent
    std::string soname;   // DT_SONAME; empty when absent
};

// Reads the ELF header, the program headers, the PT_NOTE segments and PT_DYNAMIC of a 64-bit
// little-endian ELF file (the only kind libnvrtc ships as), with every offset and size checked
// against the file. A file that is not such an ELF, or whose headers point outside it, is an
// error worded "read_elf_info(<file>): <what>".
Result<ElfInfo> read_elf_info(const std::filesystem::path& file);

// read_elf_info over the bytes of a whole file (no I/O); `name` stands for the file in messages.
Result<ElfInfo> parse_elf_info(std::span<const char> bytes, const std::string& name);

} // namespace be
