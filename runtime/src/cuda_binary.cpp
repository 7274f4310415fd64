// The CUDA cache blob: one compile's CUBIN, PTX and lowered names in a small tagged container.
// The cache wraps it in its own checksummed blob (cache/src/blob_store.cpp), so damage on disk is
// caught there; this format only has to be unambiguous and checked for bounds.
//
// Grammar (integers little-endian):
//
//   blob    := magic:"BECUDA" 0x00 0x01   count:u32   field{count}
//   field   := tag-size:u32 tag   value-size:u64 value
//   tags    := "arch"     ASCII architecture, e.g. "sm_90"                          (once)
//            | "cubin"    the ELF image for that architecture                       (once)
//            | "ptx"      PTX text of the same virtual architecture, without a NUL  (at most once)
//            | "lowered"  <name expression> 0x00 <lowered entry name>             (one per target)
//
// Unknown tags are skipped, so a field can be added without breaking older readers; a change
// that older readers would misread must bump the cache format version instead.
#include <becore/runtime/cuda_backend.h>

#include <cstring>

namespace be {
namespace {

constexpr char k_magic[8] = {'B', 'E', 'C', 'U', 'D', 'A', 0x00, 0x01};

void put(std::vector<char>& out, uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void put_field(std::vector<char>& out, std::string_view tag, std::string_view value) {
    put(out, tag.size(), 4);
    out.insert(out.end(), tag.begin(), tag.end());
    put(out, value.size(), 8);
    out.insert(out.end(), value.begin(), value.end());
}

class Reader {
  public:
    explicit Reader(const std::vector<char>& data) : data_(data) {}
    bool take(size_t n, std::string_view& out) {
        if (n > data_.size() - pos_) return false;
        out = std::string_view(data_.data() + pos_, n);
        pos_ += n;
        return true;
    }
    bool number(int bytes, uint64_t& out) {
        std::string_view raw;
        if (!take(bytes, raw)) return false;
        out = 0;
        for (int i = bytes - 1; i >= 0; --i)
            out = (out << 8) | static_cast<unsigned char>(raw[i]);
        return true;
    }
    bool at_end() const { return pos_ == data_.size(); }

  private:
    const std::vector<char>& data_;
    size_t pos_ = 0;
};

} // namespace

std::vector<char> pack_cuda_binary(const CudaBinary& binary) {
    std::vector<char> out(k_magic, k_magic + sizeof k_magic);
    put(out, 3 + binary.lowered_names.size(), 4);
    put_field(out, "arch", binary.arch);
    put_field(out, "cubin", std::string_view(binary.cubin.data(), binary.cubin.size()));
    put_field(out, "ptx", binary.ptx);
    for (const auto& [expression, lowered] : binary.lowered_names)
        put_field(out, "lowered", expression + std::string(1, '\0') + lowered);
    return out;
}

Result<CudaBinary> unpack_cuda_binary(const std::vector<char>& blob) {
    auto damaged = [](const std::string& why) {
        return make_error(ErrorCode::io,
                          "unpack_cuda_binary: damaged CUDA binary container (" + why + ")");
    };
    if (blob.size() < sizeof k_magic || std::memcmp(blob.data(), k_magic, sizeof k_magic) != 0)
        return damaged("bad magic");
    Reader reader(blob);
    std::string_view skip;
    reader.take(sizeof k_magic, skip);
    uint64_t count = 0;
    if (!reader.number(4, count)) return damaged("truncated header");
    CudaBinary binary;
    bool has_arch = false, has_cubin = false;
    for (uint64_t i = 0; i < count; ++i) {
        uint64_t tag_size = 0, value_size = 0;
        std::string_view tag, value;
        if (!reader.number(4, tag_size) || !reader.take(tag_size, tag) ||
            !reader.number(8, value_size) || !reader.take(value_size, value))
            return damaged("truncated field " + std::to_string(i));
        if (tag == "arch") {
            binary.arch = std::string(value);
            has_arch = true;
        } else if (tag == "cubin") {
            binary.cubin.assign(value.begin(), value.end());
            has_cubin = true;
        } else if (tag == "ptx") {
            binary.ptx = std::string(value);
        } else if (tag == "lowered") {
            const size_t nul = value.find('\0');
            if (nul == std::string_view::npos) return damaged("lowered name without separator");
            binary.lowered_names[std::string(value.substr(0, nul))] =
                std::string(value.substr(nul + 1));
        }
    }
    if (!reader.at_end()) return damaged("trailing bytes");
    if (!has_arch || !has_cubin) return damaged("no arch or no cubin field");
    return binary;
}

} // namespace be
