// The lexer half of cpp_scan.h: tokens, line comments, and canonical spelling of tokens.
#include "cpp_scan.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace be::scan {

namespace {

bool is_ident_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
           static_cast<unsigned char>(c) >= 0x80; // UTF-8 identifiers
}
bool is_ident_char(char c) {
    return is_ident_start(c) || std::isdigit(static_cast<unsigned char>(c));
}

class Lexer {
  public:
    Lexer(std::string_view s, bool directives) : s_(s), directives_(directives) {}

    Lexed run() {
        while (i_ < s_.size())
            step();
        return std::move(out_);
    }

  private:
    char at(size_t k) const { return k < s_.size() ? s_[k] : '\0'; }

    // Advances over s_[i_] (which is '\n'), keeping line bookkeeping in one place.
    void newline() {
        ++line_;
        ++i_;
        line_start_ = true;
        in_directive_ = false;
    }

    void step() {
        const char c = s_[i_];
        if (c == '\n') return newline();
        if (c == '\\' && at(i_ + 1) == '\n') { // a line splice continues a directive
            i_ += 2;
            ++line_;
            return;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            ++i_;
            return;
        }
        if (c == '/' && at(i_ + 1) == '/') return line_comment();
        if (c == '/' && at(i_ + 1) == '*') return block_comment();
        if (c == '#' && line_start_ && directives_) {
            in_directive_ = true;
            line_start_ = false;
            ++i_;
            return;
        }
        line_start_ = false;
        const size_t begin = i_;
        const int line = line_;
        TokenKind kind = TokenKind::punct;
        if (is_ident_start(c)) {
            while (i_ < s_.size() && is_ident_char(s_[i_]))
                ++i_;
            const std::string_view word = s_.substr(begin, i_ - begin);
            kind = TokenKind::ident;
            if (at(i_) == '"' &&
                (word == "R" || word == "u8R" || word == "uR" || word == "UR" || word == "LR")) {
                raw_string();
                kind = TokenKind::string;
            } else if ((at(i_) == '"' || at(i_) == '\'') &&
                       (word == "u8" || word == "u" || word == "U" || word == "L")) {
                kind = at(i_) == '"' ? TokenKind::string : TokenKind::character;
                quoted(at(i_));
            }
        } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                   (c == '.' && std::isdigit(static_cast<unsigned char>(at(i_ + 1))))) {
            number();
            kind = TokenKind::number;
        } else if (c == '"' || c == '\'') {
            kind = c == '"' ? TokenKind::string : TokenKind::character;
            quoted(c);
        } else {
            i_ += punct_length();
        }
        if (!in_directive_)
            out_.tokens.push_back({kind, std::string(s_.substr(begin, i_ - begin)), begin, line});
    }

    size_t punct_length() const {
        static constexpr std::array<std::string_view, 5> k_multi = {"...", "::", "->", "&&", "||"};
        for (auto m : k_multi)
            if (s_.substr(i_, m.size()) == m) return m.size();
        return 1; // `<` and `>` stay single so `>>` closes two template argument lists
    }

    // A pp-number, so digit separators (1'000) are not mistaken for character literals.
    void number() {
        ++i_;
        while (i_ < s_.size()) {
            const char c = s_[i_];
            if (is_ident_char(c) || c == '.') {
                ++i_;
            } else if (c == '\'' && is_ident_char(at(i_ + 1))) {
                i_ += 2;
            } else if ((c == '+' || c == '-') &&
                       std::string_view("eEpP").find(s_[i_ - 1]) != std::string_view::npos) {
                ++i_;
            } else {
                break;
            }
        }
    }

    // An unterminated literal ends at the end of its line, as compilers recover.
    void quoted(char quote) {
        ++i_;
        while (i_ < s_.size() && s_[i_] != quote && s_[i_] != '\n') {
            if (s_[i_] == '\\' && i_ + 1 < s_.size()) {
                if (s_[i_ + 1] == '\n') ++line_;
                ++i_;
            }
            ++i_;
        }
        if (at(i_) == quote) ++i_;
    }

    void raw_string() { // s_[i_] == '"'
        const size_t open = s_.find('(', i_);
        if (open == std::string_view::npos) return quoted('"');
        const std::string close = ")" + std::string(s_.substr(i_ + 1, open - i_ - 1)) + "\"";
        size_t end = s_.find(close, open);
        end = end == std::string_view::npos ? s_.size() : end + close.size();
        line_ += static_cast<int>(std::count(s_.begin() + i_, s_.begin() + end, '\n'));
        i_ = end;
    }

    void line_comment() {
        LineComment comment{line_, i_, {}, line_start_};
        i_ += 2;
        while (i_ < s_.size() && s_[i_] != '\n') {
            if (s_[i_] == '\\' && at(i_ + 1) == '\n') { // a spliced comment goes on
                i_ += 2;
                ++line_;
                continue;
            }
            if (s_[i_] == '\\' && at(i_ + 1) == '\r' && at(i_ + 2) == '\n') {
                i_ += 3;
                ++line_;
                continue;
            }
            comment.text += s_[i_++];
        }
        if (!comment.text.empty() && comment.text.back() == '\r') comment.text.pop_back();
        out_.comments.push_back(std::move(comment));
    }

    void block_comment() {
        const size_t end = s_.find("*/", i_ + 2);
        const size_t stop = end == std::string_view::npos ? s_.size() : end + 2;
        const auto lines = std::count(s_.begin() + i_, s_.begin() + stop, '\n');
        line_ += static_cast<int>(lines);
        if (lines > 0) line_start_ = true;
        i_ = stop;
    }

    std::string_view s_;
    bool directives_;
    size_t i_ = 0;
    int line_ = 1;
    bool line_start_ = true;
    bool in_directive_ = false;
    Lexed out_;
};

bool word_like(const Token& t) {
    return t.kind == TokenKind::ident || t.kind == TokenKind::number;
}

} // namespace

Lexed lex(std::string_view source) {
    return Lexer(source, true).run();
}

std::vector<Token> lex_snippet(std::string_view text) {
    return Lexer(text, false).run().tokens;
}

std::string join(const std::vector<Token>& tokens, size_t begin, size_t end) {
    std::string out;
    end = std::min(end, tokens.size());
    for (size_t i = begin; i < end; ++i) {
        const Token& t = tokens[i];
        if (i > begin) {
            const Token& prev = tokens[i - 1];
            const bool space = (word_like(prev) && word_like(t)) || prev.is(",") ||
                               (word_like(t) && (prev.is(">") || prev.is("*") || prev.is("&") ||
                                                 prev.is("&&") || prev.is("...")));
            if (space) out += ' ';
        }
        out += t.text;
    }
    return out;
}

bool is_identifier(std::string_view text) {
    if (text.empty() || !(std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_'))
        return false;
    return std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
}

} // namespace be::scan
