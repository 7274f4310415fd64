// A small textual C++ scanner for the `// @BE` parser: a lexer that knows comments, string,
// character and raw string literals and preprocessor lines, and a scanner that recognises a
// function declaration (name, template head, parameters) from its tokens. It does not parse
// C++; it understands just enough of a declaration to bind annotations without a compiler.
#pragma once

#include <becore/runtime/dtype.h>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace be::scan {

enum class TokenKind { ident, number, string, character, punct };

struct Token {
    TokenKind kind = TokenKind::punct;
    std::string text;  // literals keep their spelling; only their extent matters here
    size_t offset = 0; // byte offset in the lexed text
    int line = 1;      // 1-based

    bool is(std::string_view s) const { return text == s && kind != TokenKind::string; }
    bool is_ident() const { return kind == TokenKind::ident; }
};

struct LineComment {
    int line = 1;
    size_t offset = 0;       // of the leading "//"
    std::string text;        // after "//", line splices removed, no trailing '\r'
    bool starts_line = true; // only whitespace (or block comments) before it on its line
};

struct Lexed {
    // Code tokens. Comments and preprocessor directives are not tokens: a directive between an
    // annotation and its function is transparent, like a comment.
    std::vector<Token> tokens;
    std::vector<LineComment> comments;
};

Lexed lex(std::string_view source);

// Tokens of a snippet (an annotation's template arguments, a type), directives not special.
std::vector<Token> lex_snippet(std::string_view text);

// Canonical spelling: no spaces around `::`, `<`, `>`, `(`, `)`; ", " after commas; one space
// between words; `const float& x`.
std::string join(const std::vector<Token>& tokens, size_t begin = 0, size_t end = SIZE_MAX);

struct TemplateParam {
    std::string name;               // empty when unnamed
    std::vector<Token> default_arg; // empty when none
    bool pack = false;
    bool template_template = false;
};

struct ParamDecl {
    std::vector<Token> type; // the declaration without its name and default argument
    std::string name;        // empty when unnamed
    std::string spelling;    // the declaration without its default argument, for messages
    bool pack = false;       // `Ts... xs`
};

struct FunctionDecl {
    std::string name;      // unqualified
    std::string qualified; // as written, e.g. `ns::f`
    std::vector<ParamDecl> params;
    std::optional<std::vector<TemplateParam>> template_params; // set for a function template
    int line = 1;
};

// The declaration that starts at tokens[i] (after skipping template heads, attributes,
// `extern "C"`, storage and CUDA specifiers), if it is a function declaration or definition.
std::optional<FunctionDecl> scan_function(const std::vector<Token>& tokens, size_t i);

// Every function declared in the token stream whose unqualified name is `name`, in order.
std::vector<FunctionDecl> find_functions(const std::vector<Token>& tokens, std::string_view name);

// The top-level template arguments of `name<a, b<c>>`, each as tokens; empty without `<`.
std::vector<std::vector<Token>> template_arguments(const std::vector<Token>& expr);

// Replaces identifiers by token sequences (textual template argument substitution).
std::vector<Token> substitute(const std::vector<Token>& type,
                              const std::map<std::string, std::vector<Token>>& replacements);

// What a parameter's declared type is, as far as a kernel signature cares.
struct ParamType {
    enum class Kind { tensor, scalar, pointer, unknown };
    enum class Ref { none, lvalue, rvalue };
    Kind kind = Kind::unknown;
    bool is_const = false;
    Ref ref = Ref::none;
    std::optional<DType> scalar; // Kind::scalar: the attr type it maps to
    bool is_int64_t = false;     // spelled int64_t / std::int64_t (the stream handle's type)
    std::string base;            // the type without cv and reference, e.g. "BE::Tensor", "W"
};

ParamType classify(const std::vector<Token>& type);

bool is_identifier(std::string_view text);

} // namespace be::scan
