// The NumPy `.npy` format (numpy/lib/format.py, NEP 1) as read and written here:
//
//   file       := magic version header_len header data
//   magic      := "\x93NUMPY"                               6 bytes
//   version    := major minor                               1 byte each: 1.0, 2.0 or 3.0
//   header_len := uint16 little-endian (1.0) | uint32 little-endian (2.0, 3.0)
//   header     := a Python dict literal, then spaces and a final '\n' so that
//                 6 + 2 + sizeof(header_len) + header_len is a multiple of 64 (mmap alignment);
//                 latin-1 in 1.0 and 2.0, UTF-8 in 3.0 (only field names of structured
//                 dtypes can be non-ASCII, and those are not supported anyway), e.g.
//                 {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
//   data       := numel * itemsize bytes, C order unless fortran_order; anything after that
//                 is ignored, as numpy does
//   descr      := byte order ('<' little, '>' big, '|' not applicable, '=' native)
//                 + kind ('b' bool, 'i' signed, 'u' unsigned, 'f' float) + item size in bytes
//
// Writing reproduces numpy.save byte for byte: sorted keys, the repr of the shape tuple
// ("()", "(5,)", "(3, 4)"), the spare spaces numpy leaves after the dict so the first axis can
// grow in place (21 minus the digits of that axis), then the padding, which is a full 64 bytes
// when the length is already aligned, exactly as numpy computes it. Version 2.0 is used only if
// the header would not fit in 65535 bytes (it always fits with rank <= 8).
//
// Reading is tolerant about the dict (any key order, either quote, any spacing, trailing
// commas, Python 2 'L' suffixes on integers) but needs the three keys and no others, like numpy.
// Fortran order is refused rather than transposed: HostArray is C-contiguous by contract.
//
// bfloat16 has no numpy dtype. ml_dtypes saves its bfloat16 as '<V2', an opaque 2-byte void
// that numpy loads back as '|V2' and that any other 2-byte type would also produce, so a file
// cannot say it holds bfloat16: write_npy refuses it, and read_npy rejects 'V' descrs.
#include <becore/runtime/npy.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <sys/stat.h>

namespace be {

static_assert(std::endian::native == std::endian::little,
              "npy.cpp writes '<' descrs from memory as is; a big-endian host must swap");

namespace {

constexpr std::string_view k_magic("\x93NUMPY", 6);
constexpr size_t k_align = 64;
constexpr size_t k_growth_axis_max_digits = 21; // numpy's GROWTH_AXIS_MAX_DIGITS

struct DescrEntry {
    DType dtype;
    char kind;
    int size;
};

constexpr std::array<DescrEntry, 12> k_descrs = {{
    {DType::bool_, 'b', 1},
    {DType::int8, 'i', 1},
    {DType::int16, 'i', 2},
    {DType::int32, 'i', 4},
    {DType::int64, 'i', 8},
    {DType::uint8, 'u', 1},
    {DType::uint16, 'u', 2},
    {DType::uint32, 'u', 4},
    {DType::uint64, 'u', 8},
    {DType::float16, 'f', 2},
    {DType::float32, 'f', 4},
    {DType::float64, 'f', 8},
}};

struct Header {
    std::string descr;
    bool fortran_order = false;
    std::vector<int64_t> shape;
};

// A recursive-descent reader for the one dict numpy writes. The error is plain text without
// the "read_npy(path): " prefix, which the caller adds.
class DictParser {
  public:
    explicit DictParser(std::string_view text) : text_(text) {}

    std::optional<Header> parse() {
        Header header;
        if (!parse_dict(header)) return std::nullopt;
        return header;
    }
    const std::string& error() const { return error_; }

  private:
    bool parse_dict(Header& header) {
        static constexpr std::array<std::string_view, 3> k_keys = {"descr", "fortran_order",
                                                                   "shape"};
        std::array<bool, 3> seen = {};
        if (!expect('{')) return false;
        while (skip_space(), peek() != '}') {
            std::string key;
            if (!parse_string(key, "a quoted key") || !expect(':')) return false;
            size_t index = 0;
            while (index < k_keys.size() && k_keys[index] != key)
                ++index;
            if (index == k_keys.size()) return fail("unexpected key '" + key + "'");
            if (seen[index]) return fail("duplicate key '" + key + "'");
            seen[index] = true;
            const bool ok = index == 0
                                ? parse_string(header.descr, "a string for 'descr' (structured "
                                                             "dtypes are not supported)")
                            : index == 1 ? parse_bool(header.fortran_order)
                                         : parse_tuple(header.shape);
            if (!ok) return false;
            if (skip_space(), peek() == ',') {
                ++pos_;
            } else if (peek() != '}') {
                return fail("expected ',' or '}' " + where());
            }
        }
        ++pos_;
        if (skip_space(), pos_ != text_.size()) return fail("unexpected text after '}' " + where());
        for (size_t i = 0; i < k_keys.size(); ++i) {
            if (!seen[i]) return fail("missing key '" + std::string(k_keys[i]) + "'");
        }
        return true;
    }

    // Python string literals as numpy's repr writes them: no escapes occur in descrs or keys.
    bool parse_string(std::string& out, std::string_view what) {
        skip_space();
        const char quote = peek();
        if (quote != '\'' && quote != '"')
            return fail("expected " + std::string(what) + " " + where());
        const size_t end = text_.find(quote, pos_ + 1);
        if (end == std::string_view::npos) return fail("unterminated string " + where());
        out = std::string(text_.substr(pos_ + 1, end - pos_ - 1));
        pos_ = end + 1;
        return true;
    }

    bool parse_bool(bool& out) {
        skip_space();
        for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
            const std::string_view w(word);
            if (text_.substr(pos_, w.size()) == w) {
                out = value;
                pos_ += w.size();
                return true;
            }
        }
        return fail("expected True or False for 'fortran_order' " + where());
    }

    // "()", "(5,)", "(3, 4)"; also "(5)" and Python 2's "(3L, 4L)", which old writers produced.
    bool parse_tuple(std::vector<int64_t>& out) {
        if (!expect('(')) return false;
        while (skip_space(), peek() != ')') {
            if (!is_digit(peek()))
                return fail("expected a non-negative integer in 'shape' " + where());
            int64_t value = 0;
            for (; is_digit(peek()); ++pos_) {
                if (__builtin_mul_overflow(value, 10, &value) ||
                    __builtin_add_overflow(value, peek() - '0', &value)) {
                    return fail("dimension too large in 'shape' " + where());
                }
            }
            if (peek() == 'L' || peek() == 'l') ++pos_;
            out.push_back(value);
            if (skip_space(), peek() == ',') {
                ++pos_;
            } else if (peek() != ')') {
                return fail("expected ',' or ')' in 'shape' " + where());
            }
        }
        ++pos_;
        return true;
    }

    bool expect(char c) {
        skip_space();
        if (peek() != c) return fail(std::string("expected '") + c + "' " + where());
        ++pos_;
        return true;
    }
    static bool is_digit(char c) { return c >= '0' && c <= '9'; }
    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    void skip_space() {
        while (pos_ < text_.size() &&
               std::string_view(" \t\r\n").find(text_[pos_]) != std::string_view::npos) {
            ++pos_;
        }
    }
    std::string where() const {
        if (pos_ >= text_.size()) return "at the end of the header";
        return "at offset " + std::to_string(pos_) + " ('" + std::string(text_.substr(pos_, 12)) +
               "')";
    }
    bool fail(std::string message) {
        error_ = std::move(message);
        return false;
    }

    std::string_view text_;
    size_t pos_ = 0;
    std::string error_;
};

struct FileCloser {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

std::string errno_text() {
    return std::generic_category().message(errno);
}

std::string shape_repr(const std::vector<int64_t>& shape) {
    std::string text = "(";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i > 0) text += ", ";
        text += std::to_string(shape[i]);
    }
    return text + (shape.size() == 1 ? ",)" : ")");
}

void byte_swap(void* data, int64_t numel, int64_t size) {
    auto* bytes = static_cast<unsigned char*>(data);
    for (int64_t i = 0; i < numel; ++i) {
        unsigned char* item = bytes + i * size;
        for (int64_t a = 0, b = size - 1; a < b; ++a, --b)
            std::swap(item[a], item[b]);
    }
}

} // namespace

namespace {

// Where read_npy and parse_npy take their bytes from: a file is read piece by piece (its size
// known from fstat, so a damaged shape is refused before allocating), a buffer is sliced.
class NpySource {
  public:
    explicit NpySource(std::FILE* file) : file_(file) {}
    explicit NpySource(std::span<const char> bytes) : bytes_(bytes) {}
    size_t read(void* out, size_t size) {
        if (file_ != nullptr) return std::fread(out, 1, size, file_);
        const size_t n = std::min(size, bytes_.size() - pos_);
        if (n > 0) std::memcpy(out, bytes_.data() + pos_, n);
        pos_ += n;
        return n;
    }
    // The total size in bytes, when known.
    std::optional<int64_t> size() const {
        if (file_ == nullptr) return static_cast<int64_t>(bytes_.size());
        struct stat info {};
        if (fstat(fileno(file_), &info) == 0 && S_ISREG(info.st_mode)) return info.st_size;
        return std::nullopt;
    }

  private:
    std::FILE* file_ = nullptr;
    std::span<const char> bytes_;
    size_t pos_ = 0;
};

Result<HostArray> decode_npy(NpySource& source, const std::string& op) {
    unsigned char prefix[12] = {};
    size_t got = source.read(prefix, 8);
    if (got < 8 || std::memcmp(prefix, k_magic.data(), k_magic.size()) != 0) {
        return make_error(ErrorCode::invalid_argument,
                          op + "not a .npy file (bad magic; expected \"\\x93NUMPY\")");
    }
    const int major = prefix[6], minor = prefix[7];
    if ((major != 1 && major != 2 && major != 3) || minor != 0) {
        return make_error(ErrorCode::invalid_argument,
                          op + "unsupported format version " + std::to_string(major) + "." +
                              std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)");
    }
    const size_t len_size = major == 1 ? 2 : 4;
    if (source.read(prefix + 8, len_size) != len_size) {
        return make_error(ErrorCode::invalid_argument,
                          op + "truncated header (file ends inside the header length)");
    }
    uint32_t header_len = 0;
    for (size_t i = 0; i < len_size; ++i)
        header_len |= uint32_t(prefix[8 + i]) << (8 * i);

    // Bounded by the size, so a damaged length does not allocate gigabytes first.
    const std::optional<int64_t> total = source.size();
    std::string text;
    if (total && int64_t(header_len) > *total - int64_t(8 + len_size)) {
        got = static_cast<size_t>(std::max<int64_t>(0, *total - int64_t(8 + len_size)));
    } else {
        text.resize(header_len);
        got = source.read(text.data(), header_len);
    }
    if (got != header_len) {
        return make_error(ErrorCode::invalid_argument,
                          op + "truncated header (expected " + std::to_string(header_len) +
                              " bytes, found " + std::to_string(got) + ")");
    }
    DictParser parser(text);
    const std::optional<Header> header = parser.parse();
    if (!header) {
        return make_error(ErrorCode::invalid_argument,
                          op + "malformed header dict: " + parser.error(), "header: " + text);
    }

    const std::string& descr = header->descr;
    const DescrEntry* entry = nullptr;
    if (descr.size() == 3 && std::string_view("<>|=").find(descr[0]) != std::string_view::npos) {
        for (const DescrEntry& e : k_descrs) {
            if (descr[1] == e.kind && descr[2] == char('0' + e.size)) entry = &e;
        }
    }
    if (entry == nullptr) {
        return make_error(ErrorCode::invalid_argument,
                          op + "unsupported descr '" + descr +
                              "' (supported: bool, int8..int64, uint8..uint64, float16, float32, "
                              "float64; bfloat16 has no .npy descr)");
    }
    if (header->fortran_order) {
        return make_error(ErrorCode::invalid_argument,
                          op + "Fortran-order arrays are not supported; "
                               "save with np.ascontiguousarray");
    }
    if (header->shape.size() > static_cast<size_t>(BE::k_max_rank)) {
        return make_error(ErrorCode::invalid_argument,
                          op + "rank " + std::to_string(header->shape.size()) +
                              " exceeds the maximum of " + std::to_string(BE::k_max_rank));
    }
    const auto truncated = [&](int64_t expected, int64_t found) {
        return make_error(ErrorCode::invalid_argument,
                          op + "truncated data (expected " + std::to_string(expected) +
                              " bytes for " + shape_string(header->shape) + " " +
                              std::string(dtype_name(entry->dtype)) + ", found " +
                              std::to_string(found) + ")");
    };
    // A damaged shape such as (0, 8888888888882, 8888888888882) has no elements yet cannot be a
    // tensor (numpy refuses it too: "array is too big"): the product of the non-zero dimensions
    // must fit, as HostArray::create checks, but the error here names the file's shape.
    int64_t expected = entry->size;
    bool has_zero = false;
    for (int64_t dim : header->shape) {
        has_zero = has_zero || dim == 0;
        if (dim != 0 && __builtin_mul_overflow(expected, dim, &expected)) {
            return make_error(ErrorCode::invalid_argument,
                              op + "shape " + shape_string(header->shape) + " of " +
                                  std::string(dtype_name(entry->dtype)) +
                                  " is too large (its byte count overflows int64)");
        }
    }
    if (has_zero) expected = 0;
    // A corrupt shape must not make us allocate (and zero) gigabytes before noticing that the
    // file is short, so compare with the file size first where there is one.
    if (total) {
        const int64_t available = std::max<int64_t>(0, *total - int64_t(8 + len_size + header_len));
        if (available < expected) return truncated(expected, available);
    }
    auto array = HostArray::create(entry->dtype, header->shape);
    if (!array) return make_error(array.error().code(), op + array.error().message);

    const auto nbytes = static_cast<size_t>(array->nbytes());
    got = source.read(array->data(), nbytes);
    if (got != nbytes) return truncated(array->nbytes(), static_cast<int64_t>(got));
    if (descr[0] == '>' && entry->size > 1) byte_swap(array->data(), array->numel(), entry->size);
    return std::move(array).value();
}

} // namespace

Result<HostArray> read_npy(const std::filesystem::path& path) {
    const std::string op = "read_npy(" + path.string() + "): ";
    File file(std::fopen(path.c_str(), "rb"));
    if (!file) return make_error(ErrorCode::io, op + "cannot open: " + errno_text());
    NpySource source(file.get());
    return decode_npy(source, op);
}

Result<HostArray> parse_npy(std::span<const char> bytes, const std::string& name) {
    NpySource source(bytes);
    return decode_npy(source, "read_npy(" + name + "): ");
}

namespace {

// The header numpy.save writes before `tensor`'s bytes; errors start with `op`.
Result<std::string> encode_header(const BE::Tensor& tensor, const std::string& op) {
    if (tensor.device() != Device::cpu) {
        return make_error(ErrorCode::invalid_argument,
                          op + "tensor is on device " + std::string(device_name(tensor.device())) +
                              "; copy it to cpu first");
    }
    if (tensor.dtype() == DType::bfloat16) {
        return make_error(ErrorCode::invalid_argument,
                          op + "bfloat16 has no .npy descr (numpy would read it back as raw "
                               "'|V2'); convert to float32 first");
    }
    const DescrEntry* entry = nullptr;
    for (const DescrEntry& e : k_descrs) {
        if (e.dtype == tensor.dtype()) entry = &e;
    }
    if (entry == nullptr) {
        return make_error(ErrorCode::invalid_argument,
                          op + "invalid dtype code " +
                              std::to_string(static_cast<int>(tensor.dtype())));
    }
    if (tensor.ndim() < 0 || tensor.ndim() > BE::k_max_rank) {
        return make_error(ErrorCode::invalid_argument,
                          op + "invalid rank " + std::to_string(tensor.ndim()));
    }
    std::vector<int64_t> shape(tensor.shape, tensor.shape + tensor.ndim());
    for (int64_t dim : shape) {
        if (dim < 0)
            return make_error(ErrorCode::invalid_argument,
                              op + "negative dimension in shape " + shape_string(shape));
    }
    if (!tensor.is_contiguous()) {
        return make_error(ErrorCode::invalid_argument,
                          op + "tensor of shape " + shape_string(shape) +
                              " is not C-contiguous; make a contiguous copy first");
    }
    if (tensor.nbytes() > 0 && tensor.data_ptr() == nullptr) {
        return make_error(ErrorCode::invalid_argument, op + "tensor has no data but " +
                                                           std::to_string(tensor.nbytes()) +
                                                           " bytes");
    }

    const char order = entry->size == 1 ? '|' : '<';
    std::string dict = std::string("{'descr': '") + order + entry->kind +
                       std::to_string(entry->size) +
                       "', 'fortran_order': False, 'shape': " + shape_repr(shape) + ", }";
    if (!shape.empty()) {
        dict.append(k_growth_axis_max_digits - std::to_string(shape[0]).size(), ' ');
    }
    int major = 1;
    size_t len_size = 2;
    size_t padded = 0;
    for (; major <= 2; ++major, len_size = 4) {
        const size_t unpadded = k_magic.size() + 2 + len_size + dict.size() + 1;
        padded = unpadded + (k_align - unpadded % k_align); // numpy pads a full block if aligned
        if (padded - k_magic.size() - 2 - len_size <= (major == 1 ? 0xFFFFu : 0xFFFFFFFFu)) break;
    }
    if (major > 2) return make_error(ErrorCode::invalid_argument, op + "header too large");
    const size_t header_len = padded - k_magic.size() - 2 - len_size;

    std::string head(k_magic);
    head += char(major);
    head += char(0);
    for (size_t i = 0; i < len_size; ++i)
        head += char((header_len >> (8 * i)) & 0xFF);
    head += dict;
    head.append(padded - head.size() - 1, ' ');
    head += '\n';
    return head;
}

} // namespace

Result<std::string> npy_header(const BE::Tensor& tensor) {
    return encode_header(tensor, "npy_header: ");
}

Result<void> write_npy(const std::filesystem::path& path, const BE::Tensor& tensor) {
    const std::string op = "write_npy(" + path.string() + "): ";
    auto header = encode_header(tensor, op);
    if (!header) return header.error();
    const std::string& head = *header;
    const auto nbytes = static_cast<size_t>(tensor.nbytes());
    File file(std::fopen(path.c_str(), "wb"));
    if (!file) return make_error(ErrorCode::io, op + "cannot open for writing: " + errno_text());
    bool ok = std::fwrite(head.data(), 1, head.size(), file.get()) == head.size() &&
              (nbytes == 0 || std::fwrite(tensor.data_ptr(), 1, nbytes, file.get()) == nbytes);
    int saved_errno = errno;
    // fclose flushes, so its result is the write's result too (e.g. ENOSPC).
    if (std::fclose(file.release()) != 0 && ok) {
        ok = false;
        saved_errno = errno;
    }
    if (!ok) {
        std::error_code ec;
        std::filesystem::remove(path, ec); // a partial .npy would only fail later, less clearly
        return make_error(ErrorCode::io,
                          op + "write failed: " + std::generic_category().message(saved_errno));
    }
    return {};
}

} // namespace be
