// read_elf_info (elf_info.h). The input is outside data: every read goes through `Reader`,
// which checks offset and size against the file and fails instead of reading past it. Counts
// are bounded too, so a crafted header cannot make the reader loop or allocate without limit.
#include <becore/runtime/elf_info.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <span>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace be {
namespace {

constexpr uint32_t k_pt_load = 1, k_pt_dynamic = 2, k_pt_note = 4;
constexpr uint32_t k_nt_gnu_build_id = 3;
constexpr int64_t k_dt_null = 0, k_dt_strtab = 5, k_dt_soname = 14;
constexpr uint64_t k_max_segment = 1 << 20; // notes and .dynamic are a few KiB at most

struct ProgramHeader {
    uint32_t type;
    uint64_t offset, vaddr, filesz;
};

// The file's bytes: read with pread from a file (libnvrtc is 109 MB; only headers are read), or
// sliced from a buffer (parse_elf_info).
class Reader {
  public:
    Reader(int fd, uint64_t size) : fd_(fd), size_(size) {}
    explicit Reader(std::span<const char> bytes) : bytes_(bytes), size_(bytes.size()) {}
    uint64_t size() const { return size_; }

    // `length` bytes at `offset`, or nullopt when they are not all inside the file.
    std::optional<std::vector<unsigned char>> bytes(uint64_t offset, uint64_t length) const {
        if (offset > size_ || length > size_ - offset) return std::nullopt;
        if (fd_ < 0) {
            const auto* at = reinterpret_cast<const unsigned char*>(bytes_.data()) + offset;
            return std::vector<unsigned char>(at, at + length);
        }
        std::vector<unsigned char> out(length);
        size_t done = 0;
        while (done < length) {
            ssize_t n =
                pread(fd_, out.data() + done, length - done, static_cast<off_t>(offset + done));
            if (n <= 0) return std::nullopt;
            done += static_cast<size_t>(n);
        }
        return out;
    }

  private:
    int fd_ = -1;
    std::span<const char> bytes_;
    uint64_t size_;
};

template <typename T> T load(const unsigned char* p) {
    T value;
    std::memcpy(&value, p, sizeof value); // little-endian host, checked in read_elf_info
    return value;
}

std::string hex(const unsigned char* p, size_t n) {
    std::string text;
    char digits[3];
    for (size_t i = 0; i < n; ++i) {
        std::snprintf(digits, sizeof digits, "%02x", p[i]);
        text += digits;
    }
    return text;
}

// The NT_GNU_BUILD_ID descriptor in one PT_NOTE segment, if there. Entries: namesz, descsz,
// type, then the name and the descriptor, each padded to 4 bytes.
std::optional<std::string> build_id_in(const std::vector<unsigned char>& notes) {
    size_t at = 0;
    auto pad = [](uint64_t n) { return (n + 3) & ~uint64_t{3}; };
    while (notes.size() - at >= 12) {
        const uint64_t namesz = load<uint32_t>(&notes[at]);
        const uint64_t descsz = load<uint32_t>(&notes[at + 4]);
        const uint32_t type = load<uint32_t>(&notes[at + 8]);
        at += 12;
        if (pad(namesz) > notes.size() - at) return std::nullopt;
        const size_t name_at = at;
        at += pad(namesz);
        if (descsz > notes.size() - at) return std::nullopt;
        if (type == k_nt_gnu_build_id && namesz == 4 &&
            std::memcmp(&notes[name_at], "GNU", 4) == 0 && descsz > 0)
            return hex(&notes[at], descsz);
        at += std::min<uint64_t>(pad(descsz), notes.size() - at);
    }
    return std::nullopt;
}

Result<ElfInfo> elf_info_from(const Reader& reader, const std::string& op) {
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
                  "the reader assumes a little-endian host");
    auto header = reader.bytes(0, 64);
    if (!header || std::memcmp(header->data(),
                               "\x7f"
                               "ELF",
                               4) != 0)
        return make_error(ErrorCode::invalid_argument, op + ": not an ELF file");
    if ((*header)[4] != 2 || (*header)[5] != 1)
        return make_error(ErrorCode::invalid_argument,
                          op + ": not a 64-bit little-endian ELF file");
    const uint64_t phoff = load<uint64_t>(&(*header)[32]);
    const uint16_t phentsize = load<uint16_t>(&(*header)[54]);
    const uint16_t phnum = load<uint16_t>(&(*header)[56]);
    if (phentsize != 56)
        return make_error(ErrorCode::invalid_argument, op + ": unexpected program header size");
    auto table = reader.bytes(phoff, uint64_t{phnum} * phentsize);
    if (!table)
        return make_error(ErrorCode::invalid_argument,
                          op + ": the program headers lie outside the file");

    std::vector<ProgramHeader> headers;
    for (uint16_t i = 0; i < phnum; ++i) {
        const unsigned char* p = table->data() + size_t{i} * phentsize;
        headers.push_back({load<uint32_t>(p), load<uint64_t>(p + 8), load<uint64_t>(p + 16),
                           load<uint64_t>(p + 32)});
    }
    auto segment = [&](const ProgramHeader& h) {
        return h.filesz > k_max_segment ? std::nullopt : reader.bytes(h.offset, h.filesz);
    };
    // The file offset of a virtual address, through the PT_LOAD that maps it.
    auto file_offset = [&](uint64_t vaddr) -> std::optional<uint64_t> {
        for (const auto& h : headers)
            if (h.type == k_pt_load && vaddr >= h.vaddr && vaddr - h.vaddr < h.filesz)
                return h.offset + (vaddr - h.vaddr);
        return std::nullopt;
    };

    ElfInfo info;
    for (const auto& h : headers) {
        if (h.type == k_pt_note && info.build_id.empty()) {
            auto notes = segment(h);
            if (!notes)
                return make_error(ErrorCode::invalid_argument,
                                  op + ": a note segment lies outside the file");
            if (auto id = build_id_in(*notes)) info.build_id = *id;
        }
        if (h.type == k_pt_dynamic) {
            auto dynamic = segment(h);
            if (!dynamic)
                return make_error(ErrorCode::invalid_argument,
                                  op + ": the dynamic segment lies outside the file");
            std::optional<uint64_t> strtab, soname;
            for (size_t at = 0; dynamic->size() - at >= 16; at += 16) {
                const int64_t tag = load<int64_t>(&(*dynamic)[at]);
                const uint64_t value = load<uint64_t>(&(*dynamic)[at + 8]);
                if (tag == k_dt_null) break;
                if (tag == k_dt_strtab) strtab = value;
                if (tag == k_dt_soname) soname = value;
            }
            if (strtab && soname) {
                auto start = file_offset(*strtab);
                if (!start || *soname > reader.size() - *start)
                    return make_error(ErrorCode::invalid_argument,
                                      op + ": DT_SONAME lies outside the file");
                auto text = reader.bytes(
                    *start + *soname, std::min<uint64_t>(4096, reader.size() - *start - *soname));
                if (!text)
                    return make_error(ErrorCode::invalid_argument,
                                      op + ": DT_SONAME lies outside the file");
                auto end = std::find(text->begin(), text->end(), '\0');
                if (end == text->end())
                    return make_error(ErrorCode::invalid_argument,
                                      op + ": DT_SONAME is not terminated");
                info.soname.assign(text->begin(), end);
            }
        }
    }
    return info;
}

} // namespace

Result<ElfInfo> read_elf_info(const std::filesystem::path& file) {
    const std::string op = "read_elf_info(" + file.string() + ")";
    int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(ErrorCode::io, op + ": cannot open: " + std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { close(fd); }
    } closer{fd};
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return make_error(ErrorCode::invalid_argument, op + ": not a regular file");
    return elf_info_from(Reader(fd, static_cast<uint64_t>(st.st_size)), op);
}

Result<ElfInfo> parse_elf_info(std::span<const char> bytes, const std::string& name) {
    return elf_info_from(Reader(bytes), "read_elf_info(" + name + ")");
}

} // namespace be
