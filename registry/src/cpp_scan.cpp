// The scanner half of cpp_scan.h: function declarations, template heads, parameter types.
#include "cpp_scan.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace be::scan {

namespace {

// Index just past the bracket that closes tokens[i] (an opening `(`, `[` or `{`).
size_t skip_balanced(const std::vector<Token>& t, size_t i) {
    int depth = 0;
    for (; i < t.size(); ++i) {
        if (t[i].is("(") || t[i].is("[") || t[i].is("{")) ++depth;
        if (t[i].is(")") || t[i].is("]") || t[i].is("}")) {
            if (--depth == 0) return i + 1;
        }
    }
    return t.size();
}

// Index just past the `>` that closes the `<` at tokens[i]; angle brackets inside parentheses
// are comparisons, not template brackets.
size_t skip_angles(const std::vector<Token>& t, size_t i) {
    int depth = 0;
    for (; i < t.size(); ++i) {
        if (t[i].is("(") || t[i].is("[")) {
            i = skip_balanced(t, i) - 1;
            continue;
        }
        if (t[i].is(";") || t[i].is("{") || t[i].is("}")) return t.size();
        if (t[i].is("<")) ++depth;
        if (t[i].is(">") && --depth == 0) return i + 1;
    }
    return t.size();
}

enum class Defaults { comparisons, types };

// Splits tokens [begin, end) at commas outside (), [], {} and <>. In a function parameter's
// default argument `a < b` is more likely a comparison than a template (Defaults::comparisons);
// a template parameter's default is mostly a type (Defaults::types).
std::vector<std::vector<Token>> split_commas(const std::vector<Token>& t, size_t begin, size_t end,
                                             Defaults defaults) {
    std::vector<std::vector<Token>> parts(1);
    int depth = 0;
    int angle = 0;
    bool in_default = false;
    for (size_t i = begin; i < end; ++i) {
        const Token& tok = t[i];
        const bool angles = !in_default || defaults == Defaults::types;
        if (tok.is("(") || tok.is("[") || tok.is("{")) ++depth;
        if (tok.is(")") || tok.is("]") || tok.is("}")) --depth;
        if (depth == 0 && angles && tok.is("<")) ++angle;
        if (depth == 0 && angles && tok.is(">") && angle > 0) --angle;
        if (depth == 0 && angle == 0 && tok.is("=")) in_default = true;
        if (depth == 0 && angle == 0 && tok.is(",")) {
            parts.emplace_back();
            in_default = false;
            continue;
        }
        parts.back().push_back(tok);
    }
    return parts;
}

const std::set<std::string_view> k_specifiers = {
    "static",     "inline",     "__inline__", "__forceinline__", "__noinline__",
    "__global__", "__device__", "__host__",   "constexpr",       "consteval",
    "virtual",    "explicit",   "friend",     "export",          "__extension__"};

const std::set<std::string_view> k_parenthesised_attributes = {
    "__attribute__", "__launch_bounds__", "__declspec", "alignas", "__align__", "__cluster_dims__"};

// Words that cannot occur in a function declaration's head: seeing one means the tokens are a
// statement, a type definition or an operator.
const std::set<std::string_view> k_not_a_declaration = {
    "return",        "co_return", "co_yield", "co_await",  "throw",
    "new",           "delete",    "if",       "else",      "for",
    "while",         "do",        "switch",   "case",      "default",
    "goto",          "break",     "continue", "namespace", "struct",
    "class",         "union",     "enum",     "using",     "typedef",
    "static_assert", "operator",  "public",   "private",   "protected",
    "sizeof",        "this",      "true",     "false",     "nullptr",
    "try",           "catch",     "asm",      "__asm__",   "template"};

const std::set<std::string_view> k_type_operators = {"decltype", "typeof", "__typeof__", "__typeof",
                                                     "__decltype"};

const std::set<std::string_view> k_builtin_words = {
    "const", "volatile", "signed", "unsigned", "short", "long", "int",
    "char",  "bool",     "float",  "double",   "void",  "auto"};

std::vector<TemplateParam> parse_template_head(const std::vector<Token>& t, size_t open,
                                               size_t close) {
    std::vector<TemplateParam> params;
    if (close - open <= 2) return params; // template <>
    for (auto& part : split_commas(t, open + 1, close - 1, Defaults::types)) {
        TemplateParam p;
        size_t eq = part.size();
        size_t k = 0;
        if (!part.empty() && part[0].is("template")) { // template <class> class X
            p.template_template = true;
            k = std::min(skip_angles(part, 1), part.size());
        }
        int depth = 0;
        for (size_t j = k; j < part.size(); ++j) {
            if (part[j].is("<") || part[j].is("(")) ++depth;
            if (part[j].is(">") || part[j].is(")")) --depth;
            if (depth == 0 && part[j].is("=")) {
                eq = j;
                break;
            }
        }
        for (size_t j = k; j < eq; ++j) {
            if (part[j].is("...")) p.pack = true;
        }
        // `typename T`, `int N`, `std::floating_point T`: the name is the last word before `=`,
        // unless the declaration is a lone keyword (`typename`, `class`).
        if (eq > k && part[eq - 1].is_ident() && eq - 1 > k && !part[eq - 2].is("::"))
            p.name = part[eq - 1].text;
        if (eq < part.size()) p.default_arg.assign(part.begin() + eq + 1, part.end());
        params.push_back(std::move(p));
    }
    return params;
}

// A leading `requires` clause: a parenthesised expression or a chain of concept-ids joined by
// && / ||. Returns the index after it.
size_t skip_requires(const std::vector<Token>& t, size_t i) {
    for (;;) {
        if (i < t.size() && t[i].is("(")) {
            i = skip_balanced(t, i);
        } else {
            while (i < t.size() && (t[i].is_ident() || t[i].is("::")))
                ++i;
            if (i < t.size() && t[i].is("<")) i = skip_angles(t, i);
        }
        if (i < t.size() && (t[i].is("&&") || t[i].is("||"))) {
            ++i;
            continue;
        }
        return i;
    }
}

std::optional<ParamDecl> parse_param(std::vector<Token> part) {
    // Strip attributes; they say nothing about the type.
    for (size_t i = 0; i + 1 < part.size();) {
        if (part[i].is("[") && part[i + 1].is("[")) {
            part.erase(part.begin() + i, part.begin() + skip_balanced(part, i));
        } else {
            ++i;
        }
    }
    if (part.empty()) return std::nullopt;
    const Token& first = part.front();
    if (!(first.is_ident() || first.is("::") || first.is("..."))) return std::nullopt;
    size_t end = part.size();
    int angle = 0;
    for (size_t i = 0; i < part.size(); ++i) {
        if (part[i].is("(") || part[i].is("[")) {
            i = skip_balanced(part, i) - 1;
            continue;
        }
        if (part[i].is("<")) ++angle;
        if (part[i].is(">")) --angle;
        if (angle == 0 && part[i].is("=")) {
            end = i;
            break;
        }
    }
    part.resize(end);
    ParamDecl p;
    p.spelling = join(part);
    for (const auto& tok : part) {
        if (tok.is("...")) p.pack = true;
    }
    // The name is a trailing word after at least one type word: `T x` names x, a lone `T`
    // or `long long` is unnamed.
    size_t type_words = 0;
    for (size_t i = 0; i + 1 < part.size(); ++i) {
        if (!part[i].is("const") && !part[i].is("volatile")) ++type_words;
    }
    const Token& last = part.back();
    const bool named = last.is_ident() && type_words > 0 && !k_builtin_words.count(last.text) &&
                       !part[part.size() - 2].is("::");
    if (named) {
        p.name = last.text;
        part.pop_back();
    }
    p.type = std::move(part);
    return p;
}

} // namespace

std::optional<FunctionDecl> scan_function(const std::vector<Token>& t, size_t i) {
    FunctionDecl decl;
    std::vector<size_t> head; // token indices of the return type and the name
    while (i < t.size()) {
        const Token& tok = t[i];
        if (tok.is("template") && i + 1 < t.size() && t[i + 1].is("<")) {
            const size_t close = skip_angles(t, i + 1);
            if (close >= t.size()) return std::nullopt;
            decl.template_params = parse_template_head(t, i + 1, close);
            i = close;
            if (i < t.size() && t[i].is("requires")) i = skip_requires(t, i + 1);
            continue;
        }
        if (tok.is("[") && i + 1 < t.size() && t[i + 1].is("[")) {
            i = skip_balanced(t, i);
            continue;
        }
        if (tok.is_ident() && k_parenthesised_attributes.count(tok.text)) {
            i = i + 1 < t.size() && t[i + 1].is("(") ? skip_balanced(t, i + 1) : i + 1;
            continue;
        }
        if (tok.is("extern")) { // extern, extern "C", extern "C" {
            ++i;
            if (i < t.size() && t[i].kind == TokenKind::string) ++i;
            if (i < t.size() && t[i].is("{") && head.empty()) ++i;
            continue;
        }
        if (tok.is_ident() && k_specifiers.count(tok.text)) {
            ++i;
            continue;
        }
        if (tok.is_ident() && k_not_a_declaration.count(tok.text)) return std::nullopt;
        if (tok.is_ident() && k_type_operators.count(tok.text) && i + 1 < t.size() &&
            t[i + 1].is("(")) {
            head.push_back(i);
            i = skip_balanced(t, i + 1);
            continue;
        }
        if (tok.is("<")) { // template arguments of the return type
            const size_t close = skip_angles(t, i);
            if (close >= t.size()) return std::nullopt;
            head.push_back(i);
            i = close;
            continue;
        }
        if (tok.is("(")) {
            if (head.empty() || !t[head.back()].is_ident() ||
                k_type_operators.count(t[head.back()].text))
                return std::nullopt;
            // The name, possibly qualified; whatever precedes it is the return type.
            size_t name_begin = head.size() - 1;
            while (name_begin >= 2 && t[head[name_begin - 1]].is("::") &&
                   t[head[name_begin - 2]].is_ident())
                name_begin -= 2;
            if (name_begin >= 1 && t[head[name_begin - 1]].is("::")) --name_begin;
            if (name_begin == 0) return std::nullopt; // a call or a macro: no return type
            decl.name = t[head.back()].text;
            for (size_t k = name_begin; k < head.size(); ++k)
                decl.qualified += t[head[k]].text;
            decl.line = t[head.back()].line;
            const size_t close = skip_balanced(t, i);
            if (close > t.size() || !t[close - 1].is(")")) return std::nullopt;
            auto parts = split_commas(t, i + 1, close - 1, Defaults::comparisons);
            const bool no_params =
                (parts.size() == 1 && parts[0].empty()) ||
                (parts.size() == 1 && parts[0].size() == 1 && parts[0][0].is("void"));
            if (!no_params) {
                for (auto& part : parts) {
                    auto param = parse_param(std::move(part));
                    if (!param) return std::nullopt; // `int x(3)`: a variable, not a function
                    decl.params.push_back(std::move(*param));
                }
            }
            if (close < t.size()) {
                static const std::set<std::string_view> k_after = {
                    "{",        ";", "const",        "noexcept", "->", "requires", "override",
                    "final",    "=", "try",          "[",        "&",  "&&",       "throw",
                    "volatile", ":", "__attribute__"};
                if (!k_after.count(t[close].text) || t[close].kind == TokenKind::string)
                    return std::nullopt;
            }
            return decl;
        }
        if (tok.is_ident() || tok.is("::") || tok.is("*") || tok.is("&") || tok.is("&&")) {
            head.push_back(i);
            ++i;
            continue;
        }
        return std::nullopt; // `;`, `{`, `=`, literals, operators: not a function head
    }
    return std::nullopt;
}

std::vector<FunctionDecl> find_functions(const std::vector<Token>& t, std::string_view name) {
    std::vector<FunctionDecl> found;
    // Declarations start at the beginning or after `;`, `{`, `}` or an access specifier's `:`.
    // Only starts followed soon by the name can match, so most starts are skipped cheaply.
    for (size_t i = 0; i < t.size(); ++i) {
        if (i > 0 &&
            !(t[i - 1].is(";") || t[i - 1].is("{") || t[i - 1].is("}") || t[i - 1].is(":")))
            continue;
        bool mentions = false;
        for (size_t k = i; k < t.size() && !t[k].is(";") && !t[k].is("{") && !t[k].is("}"); ++k) {
            if (t[k].is_ident() && t[k].text == name) {
                mentions = true;
                break;
            }
        }
        if (!mentions) continue;
        auto decl = scan_function(t, i);
        if (decl && decl->name == name) found.push_back(std::move(*decl));
    }
    return found;
}

std::vector<std::vector<Token>> template_arguments(const std::vector<Token>& expr) {
    for (size_t i = 0; i < expr.size(); ++i) {
        if (!expr[i].is("<")) continue;
        const size_t close = skip_angles(expr, i);
        if (close > expr.size() || close - i <= 2) return {};
        auto parts = split_commas(expr, i + 1, close - 1, Defaults::types);
        return parts;
    }
    return {};
}

std::vector<Token> substitute(const std::vector<Token>& type,
                              const std::map<std::string, std::vector<Token>>& replacements) {
    std::vector<Token> out;
    for (size_t i = 0; i < type.size(); ++i) {
        const Token& tok = type[i];
        const bool qualified = i > 0 && type[i - 1].is("::"); // `X::T` is not the parameter T
        auto it = tok.is_ident() && !qualified ? replacements.find(tok.text) : replacements.end();
        if (it == replacements.end()) {
            out.push_back(tok);
        } else {
            out.insert(out.end(), it->second.begin(), it->second.end());
        }
    }
    return out;
}

ParamType classify(const std::vector<Token>& type) {
    ParamType r;
    std::vector<Token> base;
    int angle = 0;
    for (const Token& tok : type) {
        if (tok.is("<")) ++angle;
        if (tok.is(">")) --angle;
        if (angle == 0) {
            if (tok.is("const") || tok.is("volatile")) {
                r.is_const = r.is_const || tok.is("const");
                continue;
            }
            if (tok.is("&")) {
                r.ref = ParamType::Ref::lvalue;
                continue;
            }
            if (tok.is("&&")) {
                r.ref = ParamType::Ref::rvalue;
                continue;
            }
            if (tok.is("__restrict__") || tok.is("__restrict") || tok.is("restrict")) continue;
            if (tok.is("*") || tok.is("[") || tok.is("(")) r.kind = ParamType::Kind::pointer;
        }
        base.push_back(tok);
    }
    r.base = join(base);
    if (r.kind == ParamType::Kind::pointer) return r;
    if (r.base == "BE::Tensor" || r.base == "::BE::Tensor" || r.base == "Tensor") {
        r.kind = ParamType::Kind::tensor;
        return r;
    }
    // Builtin arithmetic types, in any order of their words (`long unsigned int`).
    int n_long = 0, n_short = 0, n_int = 0, n_char = 0, n_signed = 0, n_unsigned = 0, n_other = 0;
    for (const Token& tok : base) {
        if (tok.is("long"))
            ++n_long;
        else if (tok.is("short"))
            ++n_short;
        else if (tok.is("int"))
            ++n_int;
        else if (tok.is("char"))
            ++n_char;
        else if (tok.is("signed"))
            ++n_signed;
        else if (tok.is("unsigned"))
            ++n_unsigned;
        else
            ++n_other;
    }
    std::optional<DType> d;
    const bool builtin_int = n_other == 0 && !base.empty();
    if (builtin_int && n_signed + n_unsigned <= 1 && n_int <= 1) {
        const bool u = n_unsigned == 1;
        if (n_char == 1 && n_long + n_short + n_int == 0) {
            if (n_signed + n_unsigned == 1) d = u ? DType::uint8 : DType::int8; // plain char: no
        } else if (n_char == 0 && n_short == 1 && n_long == 0) {
            d = u ? DType::uint16 : DType::int16;
        } else if (n_char == 0 && n_short == 0 && n_long == 0) {
            d = u ? DType::uint32 : DType::int32;
        } else if (n_char == 0 && n_short == 0 && n_long <= 2) {
            d = u ? DType::uint64 : DType::int64;
        }
    } else if (base.size() == 1 || (base.size() == 3 && base[0].is("std") && base[1].is("::")) ||
               (base.size() == 2 && base[0].is("::"))) {
        static const std::map<std::string_view, DType> k_named = {
            {"bool", DType::bool_},
            {"float", DType::float32},
            {"double", DType::float64},
            {"int8_t", DType::int8},
            {"int16_t", DType::int16},
            {"int32_t", DType::int32},
            {"int64_t", DType::int64},
            {"uint8_t", DType::uint8},
            {"uint16_t", DType::uint16},
            {"uint32_t", DType::uint32},
            {"uint64_t", DType::uint64},
            {"size_t", DType::uint64},
            {"half", DType::float16},
            {"__half", DType::float16},
            {"__nv_bfloat16", DType::bfloat16},
            {"bfloat16", DType::bfloat16}};
        const std::string_view word = base.back().text;
        const bool std_qualified = base.size() > 1;
        const bool std_ok = word.ends_with("_t"); // std::int64_t yes, std::float no
        auto it = k_named.find(word);
        if (it != k_named.end() && (!std_qualified || std_ok)) d = it->second;
        r.is_int64_t = word == "int64_t";
    }
    if (d) {
        r.kind = ParamType::Kind::scalar;
        r.scalar = d;
    }
    return r;
}

} // namespace be::scan
