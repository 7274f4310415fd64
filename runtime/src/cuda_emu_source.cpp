// prepare_emulation_source: the textual pass a `.cu` source goes through before the emulation
// compile (contract in becore/runtime/cuda_emu.h). A small scanner of its own — the registry's
// lexer is out of reach of the runtime — that sees identifiers and punctuation, skips comments,
// string, character and raw string literals and the operands of #include / #error / #warning,
// reads numbers whole (with ' digit separators), and counts lines.
#include <becore/runtime/cuda_emu.h>

#include <cctype>
#include <cstring>
#include <optional>

namespace be {
namespace {

struct Token {
    enum Kind { identifier, number, punctuation } kind;
    size_t begin, end;
    int line;
};

bool ident_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

class Scanner {
  public:
    explicit Scanner(std::string_view text) : s_(text) {}

    std::vector<Token> tokens() {
        std::vector<Token> out;
        bool line_start = true;
        while (pos_ < s_.size()) {
            const char c = s_[pos_];
            if (c == '\n') {
                ++line_;
                ++pos_;
                line_start = true;
                continue;
            }
            if (std::isspace(static_cast<unsigned char>(c))) {
                ++pos_;
                continue;
            }
            if (c == '/' && peek(1) == '/') {
                skip_to_line_end();
                continue;
            }
            if (c == '/' && peek(1) == '*') {
                skip_block_comment();
                continue;
            }
            if (c == '#' && line_start) {
                directive();
                line_start = false;
                continue;
            }
            line_start = false;
            if (c == '"') {
                skip_quoted('"');
            } else if (c == '\'') {
                skip_quoted('\'');
            } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                       (c == '.' && std::isdigit(static_cast<unsigned char>(peek(1))))) {
                const size_t begin = pos_;
                skip_number();
                out.push_back({Token::number, begin, pos_, line_});
            } else if (ident_start(c)) {
                const size_t begin = pos_;
                while (pos_ < s_.size() && ident_char(s_[pos_]))
                    ++pos_;
                const std::string_view word = s_.substr(begin, pos_ - begin);
                if (peek(0) == '"' && is_raw_prefix(word))
                    skip_raw_string();
                else if ((peek(0) == '"' || peek(0) == '\'') && is_encoding_prefix(word))
                    continue; // the literal is skipped next
                else
                    out.push_back({Token::identifier, begin, pos_, line_});
            } else {
                out.push_back({Token::punctuation, pos_, pos_ + 1, line_});
                ++pos_;
            }
        }
        return out;
    }

  private:
    char peek(size_t ahead) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }
    void advance() {
        if (s_[pos_] == '\n') ++line_;
        ++pos_;
    }
    void skip_to_line_end() {
        while (pos_ < s_.size() && s_[pos_] != '\n') {
            if (s_[pos_] == '\\' && peek(1) == '\n') advance(); // a continued line
            advance();
        }
    }
    void skip_block_comment() {
        pos_ += 2;
        while (pos_ < s_.size() && !(s_[pos_] == '*' && peek(1) == '/'))
            advance();
        pos_ = std::min(pos_ + 2, s_.size());
    }
    void skip_quoted(char quote) {
        ++pos_;
        while (pos_ < s_.size() && s_[pos_] != quote && s_[pos_] != '\n') {
            if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) advance();
            advance();
        }
        if (pos_ < s_.size() && s_[pos_] == quote) ++pos_;
    }
    static bool is_encoding_prefix(std::string_view p) {
        return p == "L" || p == "u" || p == "U" || p == "u8";
    }
    static bool is_raw_prefix(std::string_view p) {
        return p == "R" || p == "LR" || p == "uR" || p == "UR" || p == "u8R";
    }
    void skip_raw_string() { // at the opening quote of R"delim( ... )delim"
        const size_t open = s_.find('(', pos_);
        if (open == std::string_view::npos) {
            pos_ = s_.size();
            return;
        }
        const std::string close = ")" + std::string(s_.substr(pos_ + 1, open - pos_ - 1)) + "\"";
        const size_t end = s_.find(close, open);
        const size_t stop = end == std::string_view::npos ? s_.size() : end + close.size();
        while (pos_ < stop)
            advance();
    }
    void skip_number() {
        while (pos_ < s_.size()) {
            const char c = s_[pos_];
            if ((c == '+' || c == '-') && pos_ > 0 && std::strchr("eEpP", s_[pos_ - 1]) != nullptr)
                ++pos_;
            else if (ident_char(c) || c == '.' || c == '\'')
                ++pos_;
            else
                break;
        }
    }
    // `#include <...>`, `#error text`: their operands are not code. Other directives (#define,
    // #if, #pragma) are scanned like code, so a macro hiding inline assembly is still found.
    void directive() {
        ++pos_;
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t'))
            ++pos_;
        const size_t begin = pos_;
        while (pos_ < s_.size() && ident_char(s_[pos_]))
            ++pos_;
        const std::string_view name = s_.substr(begin, pos_ - begin);
        if (name == "include" || name == "include_next" || name == "error" || name == "warning" ||
            name == "line")
            skip_to_line_end();
    }

    std::string_view s_;
    size_t pos_ = 0;
    int line_ = 1;
};

struct Unsupported {
    std::string_view construct, category;
};

std::optional<Unsupported> classify(std::string_view word, const Token* next,
                                    std::string_view text) {
    auto followed_by_angle = [&] {
        return next != nullptr && next->kind == Token::punctuation && text[next->begin] == '<';
    };
    auto starts = [&](std::initializer_list<std::string_view> prefixes) {
        for (auto p : prefixes)
            if (word.starts_with(p)) return true;
        return false;
    };
    constexpr std::string_view dynamic = "dynamic parallelism", grid = "grid-wide synchronisation",
                               textures = "textures and surfaces", ptx = "inline PTX";
    if (word == "cudaLaunchDevice" || word == "cudaLaunchDeviceV2" ||
        word == "cudaDeviceSynchronize" || word == "cudaGetParameterBuffer" ||
        word == "cudaGetParameterBufferV2")
        return Unsupported{word, dynamic};
    if (word == "this_grid" || word == "grid_group" || word == "this_multi_grid" ||
        word == "multi_grid_group" || word == "cudaLaunchCooperativeKernel" ||
        word == "cudaLaunchCooperativeKernelMultiDevice")
        return Unsupported{word, grid};
    if (((word == "texture" || word == "surface") && followed_by_angle()) ||
        word == "cudaTextureObject_t" || word == "cudaSurfaceObject_t" ||
        starts(
            {"tex1D", "tex2D", "tex3D", "texCubemap", "surf1D", "surf2D", "surf3D", "surfCubemap"}))
        return Unsupported{word, textures};
    if (word == "asm" || word == "__asm" || word == "__asm__") return Unsupported{word, ptx};
    return std::nullopt;
}

// Removes alignment specifiers (__align__(n), alignas(n), __attribute__((...))) from the tokens
// [first, last) and returns the rest as text: the element type of an `extern __shared__` array.
std::string element_type(std::string_view text, const std::vector<Token>& t, size_t first,
                         size_t last) {
    std::string type;
    for (size_t i = first; i < last; ++i) {
        const std::string_view word = text.substr(t[i].begin, t[i].end - t[i].begin);
        if ((word == "__align__" || word == "alignas" || word == "__attribute__") && i + 1 < last &&
            text[t[i + 1].begin] == '(') {
            int depth = 0;
            for (++i; i < last; ++i) {
                const char c = text[t[i].begin];
                depth += c == '(' ? 1 : c == ')' ? -1 : 0;
                if (depth == 0) break;
            }
            continue;
        }
        const bool glue =
            !type.empty() && t[i].kind != Token::punctuation && ident_char(type.back());
        type += (glue ? " " : "") + std::string(word);
    }
    return type;
}

} // namespace

Result<std::string> prepare_emulation_source(std::string_view source, const std::string& file) {
    const std::vector<Token> tokens = Scanner(source).tokens();
    auto error = [&](int line, const std::string& what) {
        return make_error(ErrorCode::compile_failed, "prepare_emulation_source(" + file + ":" +
                                                         std::to_string(line) + "): " + what);
    };
    auto word = [&](size_t i) {
        return source.substr(tokens[i].begin, tokens[i].end - tokens[i].begin);
    };
    auto is = [&](size_t i, char c) {
        return i < tokens.size() && tokens[i].kind == Token::punctuation &&
               source[tokens[i].begin] == c;
    };

    std::string out;
    size_t copied = 0; // source[0, copied) is in `out`
    for (size_t i = 0; i < tokens.size(); ++i) {
        const Token& t = tokens[i];
        if (is(i, '<') && is(i + 1, '<') && is(i + 2, '<') && tokens[i + 1].begin == t.end &&
            tokens[i + 2].begin == t.end + 1)
            return error(t.line, "a kernel launch <<<...>>> is not supported in CUDA emulation "
                                 "(dynamic parallelism)");
        if (t.kind != Token::identifier) continue;
        const Token* next = i + 1 < tokens.size() ? &tokens[i + 1] : nullptr;
        if (auto u = classify(word(i), next, source))
            return error(t.line, std::string(u->construct) +
                                     " is not supported in CUDA emulation (" +
                                     std::string(u->category) + ")");
        if (word(i) != "extern" || next == nullptr || next->kind != Token::identifier ||
            word(i + 1) != "__shared__")
            continue;

        // extern __shared__ <type> name [ ] ;   →   <type>* const name = static_cast<...>(...);
        size_t semicolon = i + 2;
        while (semicolon < tokens.size() && !is(semicolon, ';'))
            ++semicolon;
        const size_t name = semicolon - 3;
        bool malformed = semicolon >= tokens.size() || semicolon < i + 5 ||
                         !is(semicolon - 2, '[') || !is(semicolon - 1, ']') ||
                         tokens[name].kind != Token::identifier;
        for (size_t k = i + 2; !malformed && k < name; ++k)
            malformed = is(k, '[') || is(k, ';') || is(k, '=');
        if (malformed)
            return error(t.line, "unsupported extern __shared__ declaration (expected "
                                 "'extern __shared__ T name[];', one per declaration)");
        const std::string type = element_type(source, tokens, i + 2, name);
        if (type.empty())
            return error(t.line, "extern __shared__ declaration without an element type");
        const std::string_view declared = source.substr(t.begin, tokens[semicolon].end - t.begin);
        out.append(source.substr(copied, t.begin - copied));
        out += type + "* const " + std::string(word(name)) + " = static_cast<" + type +
               "*>(::becore_emu_dynamic_shared());";
        for (char c : declared)
            if (c == '\n') out += '\n'; // every later line stays where it was
        copied = tokens[semicolon].end;
        i = semicolon;
    }
    out.append(source.substr(copied));
    return out;
}

std::vector<std::string> emulation_pre_includes() {
    return {"be/cuda_emu.h"};
}

} // namespace be
