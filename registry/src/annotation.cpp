// The `// @BE` annotation parser.
//
// Grammar (one annotation per whole-line `//` comment; text after `//` starts with `@BE`):
//
//   annotation := "@BE" name [token ...] [launch]                        bare form
//               | "@BE" name "=" expr token ... [launch]                 bound form
//   name       := [A-Za-z_][A-Za-z0-9_]*
//   expr       := ["::"] ident ("::" ident)* ["<" balanced template arguments ">"]
//   token      := ("arg" | "args") [":" dtype]       input tensor
//               | ("ret" | "rets") [":" dtype]       output tensor
//               | "stream" | "ctx.stream"            int64_t stream handle (.cpp only, once)
//               | ("attr." | "attrs.") ident [":" attr_type]
//   attr_type  := bool | int8..int64 | uint8..uint64 | float16 | bfloat16 | float32 | float64
//   launch     := "launch(" clause ")"               .cu only, the last element; the clause
//                                                    grammar is in becore/registry/launch.h
//
// Binding. The bare form binds the function declared next (comments, blank lines, template
// heads, attributes, `extern "C"`, storage and CUDA specifiers and preprocessor lines are
// skipped); its name must be the target name. Without tokens the tokens are inferred from the
// parameter types; with tokens, each token is checked against its parameter. The bound form
// binds an expression the compiler resolves; the parser looks up a function of that name in the
// file only to check the token count and to take omitted attr types from the parameters, with
// the template arguments substituted textually. Whatever it cannot see is checked by the
// trampoline's static_asserts (.cpp).
//
// Choices beyond the grammar of docs/architecture.md ("Kernel conventions"):
// - `arg` may bind a non-const `BE::Tensor&`: it stays read-only by convention, and rejecting it
//   would break kernels written that way for no safety gain. `ret` on a const tensor is an error.
// - A by-value `BE::Tensor` in a .cpp entry is an arg only when written `const BE::Tensor`; a
//   non-const one is ambiguous (a ret must be `BE::Tensor&` there) and is reported.
// - .cu kernels take tensors and scalars by value: reference parameters are reported.
// - float16/bfloat16 attrs are rejected in .cpp sources: host code has no such scalar type.
// - Attr names must be unique within a target: callers pass attrs by name.
// - A `:dtype` on arg/ret accepts what parse_dtype accepts (canonical names and the suffix
//   aliases f16, bf16, f32, f64); attr types accept the canonical names only.
#include <becore/registry/annotation.h>
#include <becore/registry/launch.h>

#include "cpp_scan.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace be {

const char* param_kind_name(ParamKind kind) {
    switch (kind) {
    case ParamKind::arg:
        return "arg";
    case ParamKind::ret:
        return "ret";
    case ParamKind::stream:
        return "stream";
    case ParamKind::attr:
        return "attr";
    }
    return "invalid";
}

namespace {

using scan::ParamDecl;
using scan::ParamType;
using scan::Token;
using Kind = ParamType::Kind;
using Ref = ParamType::Ref;

std::string q(std::string_view s) {
    return "'" + std::string(s) + "'";
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_space(s.back()))
        s.remove_suffix(1);
    return s;
}

struct Spec { // one token of an annotation
    ParamKind kind = ParamKind::arg;
    std::string text;      // as written, for messages
    std::string attr_name; // attr: <n>
    std::optional<DType> dtype;
};

struct Annotation {
    std::string name;
    bool bound = false;
    std::string expr; // bound form, whitespace normalised
    std::vector<Token> expr_tokens;
    std::string expr_name; // its unqualified function name
    std::vector<Spec> specs;
    std::optional<std::string> launch;
};

// Everything the checks of one annotation need to word an error.
struct Context {
    const std::string& file;
    SourceKind kind;
    int line;

    Error error(const std::string& what) const {
        return make_error(ErrorCode::invalid_argument,
                          "parse_annotations(" + file + ":" + std::to_string(line) + "): " + what);
    }
};

std::string attr_types() {
    return "bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, bfloat16, "
           "float32, float64";
}

bool half_width(DType d) {
    return d == DType::float16 || d == DType::bfloat16;
}

std::optional<Error> check_attr_type(const Context& ctx, DType d, const std::string& what) {
    if (ctx.kind == SourceKind::cpp && half_width(d))
        return ctx.error(q(what) + ": " + std::string(dtype_name(d)) +
                         " attrs are only supported in .cu kernels (host code has no " +
                         std::string(dtype_name(d)) + " scalar type)");
    return std::nullopt;
}

std::optional<Error> parse_spec(const Context& ctx, const std::string& word, Annotation& a) {
    const size_t colon = word.find(':');
    const std::string head = word.substr(0, colon);
    const std::optional<std::string> type =
        colon == std::string::npos ? std::nullopt : std::optional(word.substr(colon + 1));
    Spec spec;
    spec.text = word;
    if (head == "arg" || head == "args" || head == "ret" || head == "rets") {
        spec.kind = head.starts_with("arg") ? ParamKind::arg : ParamKind::ret;
        if (type) {
            spec.dtype = parse_dtype(*type);
            if (!spec.dtype)
                return ctx.error("bad dtype " + q(*type) + " in " + q(word) + " (expected one of " +
                                 attr_types() + ")");
        }
    } else if (head == "stream" || head == "ctx.stream") {
        spec.kind = ParamKind::stream;
        if (type) return ctx.error(q(word) + ": a stream takes no type (it is an int64_t)");
        if (ctx.kind == SourceKind::cuda)
            return ctx.error(q(word) + ": stream is meaningless in .cu kernels; the runtime "
                                       "launches them on the caller's stream");
        for (const Spec& s : a.specs) {
            if (s.kind == ParamKind::stream)
                return ctx.error("two streams: " + q(word) + " after " + q(s.text) +
                                 " (a target takes at most one stream)");
        }
    } else if (head.starts_with("attr.") || head.starts_with("attrs.")) {
        spec.kind = ParamKind::attr;
        spec.attr_name = head.substr(head.find('.') + 1);
        if (!scan::is_identifier(spec.attr_name))
            return ctx.error("invalid attr name " + q(spec.attr_name) + " in " + q(word) +
                             " (attr names are C identifiers)");
        if (type) {
            spec.dtype = parse_dtype(*type);
            if (!spec.dtype || dtype_name(*spec.dtype) != *type)
                return ctx.error("bad attr type " + q(*type) + " in " + q(word) + " (expected " +
                                 attr_types() + ")");
            if (auto e = check_attr_type(ctx, *spec.dtype, word)) return e;
        }
        for (const Spec& s : a.specs) {
            if (s.kind == ParamKind::attr && s.attr_name == spec.attr_name)
                return ctx.error("duplicate attr name " + q(word) + " (after " + q(s.text) +
                                 "; attrs are passed by name)");
        }
    } else {
        return ctx.error("unknown token " + q(word) +
                         " (expected arg, ret, stream, attr.<n>, their aliases args, rets, "
                         "ctx.stream, attrs.<n>, or launch(...))");
    }
    a.specs.push_back(std::move(spec));
    return std::nullopt;
}

// `launch(...)` at text[pos]; the clause must close and be the last element.
std::optional<Error> parse_launch(const Context& ctx, std::string_view text, size_t pos,
                                  Annotation& a) {
    const std::string rest(trim(text.substr(pos)));
    if (ctx.kind == SourceKind::cpp)
        return ctx.error(q(rest) + ": launch(...) is only meaningful in .cu files");
    size_t i = pos + 6;
    while (i < text.size() && is_space(text[i]))
        ++i;
    if (i >= text.size() || text[i] != '(')
        return ctx.error("malformed launch clause " + q(rest) + " (expected launch(...))");
    const size_t open = i;
    int depth = 0;
    for (; i < text.size(); ++i) {
        if (text[i] == '(') ++depth;
        if (text[i] == ')' && --depth == 0) break;
    }
    if (depth != 0)
        return ctx.error("malformed launch clause " + q(rest) + " (unbalanced parentheses)");
    const std::string_view inner = trim(text.substr(open + 1, i - open - 1));
    if (inner.empty()) return ctx.error("malformed launch clause " + q(rest) + " (empty)");
    const std::string_view after = trim(text.substr(i + 1));
    if (!after.empty())
        return ctx.error("malformed launch clause: " + q(after) + " after " +
                         q(text.substr(pos, i + 1 - pos)) +
                         " (launch(...) must be the last element)");
    a.launch = std::string(inner);
    return std::nullopt;
}

// The bound form's expression at text[pos]; returns the index after it.
Result<size_t> parse_expression(const Context& ctx, std::string_view text, size_t pos,
                                Annotation& a) {
    const size_t begin = pos;
    auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    while (pos < text.size() && (word_char(text[pos]) || text[pos] == ':'))
        ++pos;
    const std::string_view callee = text.substr(begin, pos - begin);
    size_t after_ws = pos;
    while (after_ws < text.size() && is_space(text[after_ws]))
        ++after_ws;
    if (after_ws < text.size() && text[after_ws] == '<') {
        int angle = 0, paren = 0;
        size_t i = after_ws;
        for (; i < text.size(); ++i) {
            const char c = text[i];
            paren += c == '(' ? 1 : c == ')' ? -1 : 0;
            if (paren == 0 && c == '<') ++angle;
            if (paren == 0 && c == '>' && --angle == 0) break;
        }
        if (angle != 0)
            return ctx.error("malformed template argument list in " + q(trim(text.substr(begin))) +
                             " (unbalanced '<')");
        pos = i + 1;
    }
    a.expr_tokens = scan::lex_snippet(text.substr(begin, pos - begin));
    // The callee must be a (qualified) identifier: `f`, `ns::f`, `::f`.
    size_t k = 0;
    const auto& t = a.expr_tokens;
    bool valid = !callee.empty();
    if (k < t.size() && t[k].is("::")) ++k;
    while (valid) {
        if (k >= t.size() || !t[k].is_ident()) {
            valid = false;
            break;
        }
        a.expr_name = t[k++].text;
        if (k < t.size() && t[k].is("::")) {
            ++k;
            continue;
        }
        break;
    }
    if (!valid || (k < t.size() && !t[k].is("<"))) {
        const std::string shown(trim(text.substr(begin)));
        return ctx.error("expected a function or template instantiation after '=', found " +
                         q(shown));
    }
    a.expr = scan::join(a.expr_tokens);
    return pos;
}

Result<Annotation> parse_text(const Context& ctx, std::string_view text) {
    Annotation a;
    size_t pos = 0;
    while (pos < text.size() && is_space(text[pos]))
        ++pos;
    size_t end = pos;
    while (end < text.size() && !is_space(text[end]) && text[end] != '=')
        ++end;
    a.name = std::string(text.substr(pos, end - pos));
    if (a.name.empty()) return ctx.error("missing target name after '@BE'");
    if (!scan::is_identifier(a.name))
        return ctx.error("invalid target name " + q(a.name) +
                         " (names are C identifiers: [A-Za-z_][A-Za-z0-9_]*)");
    pos = end;
    while (pos < text.size() && is_space(text[pos]))
        ++pos;
    if (pos < text.size() && text[pos] == '=') {
        a.bound = true;
        ++pos;
        while (pos < text.size() && is_space(text[pos]))
            ++pos;
        auto next = parse_expression(ctx, text, pos, a);
        if (!next) return next.error();
        pos = *next;
    }
    for (;;) {
        while (pos < text.size() && is_space(text[pos]))
            ++pos;
        if (pos >= text.size()) break;
        end = pos;
        while (end < text.size() && !is_space(text[end]))
            ++end;
        const std::string_view word = text.substr(pos, end - pos);
        if (word == "launch" || word.starts_with("launch(")) {
            if (auto e = parse_launch(ctx, text, pos, a)) return *e;
            break;
        }
        if (auto e = parse_spec(ctx, std::string(word), a)) return *e;
        pos = end;
    }
    return a;
}

std::string positional_name(ParamKind kind, size_t index) {
    return std::string(param_kind_name(kind)) + std::to_string(index);
}

// .cu kernels receive their parameters by value from the launch; a reference would point at
// host memory.
std::optional<Error> check_cuda_by_value(const Context& ctx, const ParamDecl& p,
                                         const ParamType& t) {
    if (ctx.kind == SourceKind::cuda && t.ref != Ref::none)
        return ctx.error("parameter " + q(p.spelling) +
                         ": .cu kernels take BE::Tensor and scalars by value, not by reference");
    return std::nullopt;
}

Result<Param> infer_param(const Context& ctx, const ParamDecl& p, size_t index) {
    const ParamType t = scan::classify(p.type);
    if (auto e = check_cuda_by_value(ctx, p, t)) return *e;
    Param param;
    switch (t.kind) {
    case Kind::tensor:
        if (t.ref == Ref::rvalue)
            return ctx.error("parameter " + q(p.spelling) + ": a BE::Tensor&& cannot be bound");
        if (ctx.kind == SourceKind::cpp && t.ref == Ref::none && !t.is_const)
            return ctx.error("parameter " + q(p.spelling) +
                             ": a by-value BE::Tensor in a .cpp entry is ambiguous; write "
                             "const BE::Tensor& (arg) or BE::Tensor& (ret)");
        param.kind = t.is_const ? ParamKind::arg : ParamKind::ret;
        param.name = p.name.empty() ? positional_name(param.kind, index) : p.name;
        return param;
    case Kind::pointer:
        return ctx.error("parameter " + q(p.spelling) +
                         " is a pointer or array; entries take BE::Tensor and scalars");
    case Kind::unknown:
        return ctx.error("cannot infer a token for parameter " + q(p.spelling) + " (type " +
                         q(t.base) + " is neither BE::Tensor nor a known scalar); write tokens");
    case Kind::scalar:
        break;
    }
    if (t.ref == Ref::lvalue && !t.is_const)
        return ctx.error("parameter " + q(p.spelling) +
                         ": a scalar cannot be a non-const reference");
    if (p.name == "stream" && t.is_int64_t) {
        if (ctx.kind == SourceKind::cuda)
            return ctx.error("parameter " + q(p.spelling) + ": stream is meaningless in .cu " +
                             "kernels; the runtime launches them on the caller's stream");
        param.kind = ParamKind::stream;
        param.name = "stream";
        return param;
    }
    if (auto e = check_attr_type(ctx, *t.scalar, p.spelling)) return *e;
    param.kind = ParamKind::attr;
    param.name = p.name.empty() ? positional_name(ParamKind::attr, index) : p.name;
    param.dtype = t.scalar;
    return param;
}

// A token of the bare form against the parameter it binds.
Result<Param> bind_spec(const Context& ctx, const Spec& s, const ParamDecl& p, size_t index) {
    const ParamType t = scan::classify(p.type);
    if (auto e = check_cuda_by_value(ctx, p, t)) return *e;
    const std::string what = "token " + std::to_string(index + 1) + " " + q(s.text) +
                             " binds parameter " + q(p.spelling);
    Param param{s.kind, p.name, s.dtype};
    switch (s.kind) {
    case ParamKind::arg:
    case ParamKind::ret:
        if (t.kind != Kind::tensor) return ctx.error(what + ", which is not a BE::Tensor");
        if (t.ref == Ref::rvalue) return ctx.error(what + ": a BE::Tensor&& cannot be bound");
        // `arg` on a non-const BE::Tensor& is accepted (read-only by convention); see the top.
        if (s.kind == ParamKind::ret && t.is_const)
            return ctx.error(what + ", which is const; a ret must be writable");
        if (s.kind == ParamKind::ret && ctx.kind == SourceKind::cpp && t.ref != Ref::lvalue)
            return ctx.error(what + "; a ret of a .cpp entry must be a BE::Tensor&");
        if (param.name.empty()) param.name = positional_name(s.kind, index);
        return param;
    case ParamKind::stream:
        if (t.kind != Kind::scalar || t.scalar != DType::int64 ||
            (t.ref == Ref::lvalue && !t.is_const))
            return ctx.error(what + ", which is not an int64_t");
        if (param.name.empty()) param.name = "stream";
        return param;
    case ParamKind::attr:
        break;
    }
    param.name = s.attr_name;
    if (t.kind == Kind::tensor || t.kind == Kind::pointer)
        return ctx.error(what + ", which is not a scalar");
    if (t.ref == Ref::lvalue && !t.is_const)
        return ctx.error(what + ": a scalar cannot be a non-const reference");
    if (t.kind == Kind::scalar && s.dtype && s.dtype != t.scalar)
        return ctx.error(what + " of type " + std::string(dtype_name(*t.scalar)));
    if (!s.dtype && t.kind != Kind::scalar)
        return ctx.error(q(s.text) + " needs a type: parameter " + q(p.spelling) + " has type " +
                         q(t.base) + "; write " + q(s.text + ":<type>"));
    if (!param.dtype) {
        if (auto e = check_attr_type(ctx, *t.scalar, s.text)) return *e;
        param.dtype = t.scalar;
    }
    return param;
}

Result<std::vector<Param>> bind_bare(const Context& ctx, const Annotation& a,
                                     const std::vector<Token>& tokens, size_t first) {
    auto f = scan::scan_function(tokens, first);
    if (!f) return ctx.error("annotation " + q(a.name) + " is not followed by a function");
    if (f->name != a.name)
        return ctx.error("target name " + q(a.name) +
                         " does not match the function that follows, " + q(f->qualified) +
                         " (the bare form binds it by name; write '// @BE " + a.name + " = " +
                         f->qualified + " ...' to bind another name)");
    if (f->template_params)
        return ctx.error(q(a.name) + " is a function template; bind an instantiation with " +
                         "'// @BE <target> = " + a.name + "<...> <tokens>'");
    std::vector<Param> params;
    if (!a.specs.empty() && a.specs.size() != f->params.size())
        return ctx.error(std::to_string(a.specs.size()) + " tokens for " + q(a.name) + " but " +
                         q(f->qualified) + " has " + std::to_string(f->params.size()) +
                         " parameters (token count must equal parameter count)");
    for (size_t i = 0; i < f->params.size(); ++i) {
        auto p = a.specs.empty() ? infer_param(ctx, f->params[i], i)
                                 : bind_spec(ctx, a.specs[i], f->params[i], i);
        if (!p) return p.error();
        params.push_back(std::move(*p));
    }
    if (a.specs.empty()) {
        int streams = 0;
        for (const Param& p : params)
            streams += p.kind == ParamKind::stream;
        if (streams > 1)
            return ctx.error("two streams: " + q(f->qualified) +
                             " has more than one 'int64_t stream' parameter");
    }
    return params;
}

// The bound form: the function, if the file declares it, only checks the count and lends
// parameter names and the types of attrs given without one.
Result<std::vector<Param>> bind_expression(const Context& ctx, const Annotation& a,
                                           const std::vector<Token>& tokens) {
    if (a.specs.empty())
        return ctx.error(q(a.name + " = " + a.expr) +
                         " needs tokens: the bound form does not infer them");
    const auto targs = scan::template_arguments(a.expr_tokens);
    const auto candidates = scan::find_functions(tokens, a.expr_name);
    const scan::FunctionDecl* f = nullptr;
    const bool instantiation = a.expr.find('<') != std::string::npos;
    for (const auto& c : candidates) { // prefer a template when arguments are given, then arity
        const bool kind_fits = c.template_params.has_value() == instantiation;
        const bool count_fits = c.params.size() == a.specs.size();
        if (kind_fits && count_fits) {
            f = &c;
            break;
        }
        if (!f && kind_fits) f = &c;
    }
    if (!f && !candidates.empty()) f = &candidates.front();
    const bool variadic =
        f && std::any_of(f->params.begin(), f->params.end(), [](auto& p) { return p.pack; });
    if (f && !variadic && f->params.size() != a.specs.size())
        return ctx.error(std::to_string(a.specs.size()) + " tokens for " + q(a.name) + " but " +
                         q(f->qualified) + " (line " + std::to_string(f->line) + ") has " +
                         std::to_string(f->params.size()) +
                         " parameters (token count must equal parameter count)");
    std::map<std::string, std::vector<Token>> substitution;
    if (f && f->template_params) {
        const auto& tps = *f->template_params;
        for (size_t i = 0; i < tps.size() && !tps[i].pack; ++i) {
            if (tps[i].name.empty() || tps[i].template_template) continue;
            if (i < targs.size()) {
                substitution[tps[i].name] = targs[i];
            } else if (!tps[i].default_arg.empty()) {
                substitution[tps[i].name] = scan::substitute(tps[i].default_arg, substitution);
            }
        }
    }
    std::vector<Param> params;
    for (size_t i = 0; i < a.specs.size(); ++i) {
        const Spec& s = a.specs[i];
        const ParamDecl* decl = f && !variadic ? &f->params[i] : nullptr;
        Param param{s.kind, s.attr_name, s.dtype};
        if (s.kind != ParamKind::attr) {
            const std::string fallback =
                s.kind == ParamKind::stream ? "stream" : positional_name(s.kind, i);
            param.name = decl && !decl->name.empty() ? decl->name : fallback;
        } else {
            std::optional<ParamType> t;
            if (decl) t = scan::classify(scan::substitute(decl->type, substitution));
            const bool known = t && t->kind == Kind::scalar;
            if (known && s.dtype && *s.dtype != *t->scalar)
                return ctx.error("token " + std::to_string(i + 1) + " " + q(s.text) +
                                 " binds parameter " + q(decl->spelling) + " of type " +
                                 std::string(dtype_name(*t->scalar)) + " in " + q(a.expr));
            if (!s.dtype && !known)
                return ctx.error(q(s.text) + " needs a type: " +
                                 (decl ? "parameter " + q(decl->spelling) + " of " + q(a.expr) +
                                             " has type " + q(t->base)
                                  : variadic
                                      ? q(a.expr_name) + " has a parameter pack"
                                      : "no declaration of " + q(a.expr_name) + " in this file") +
                                 "; write " + q(s.text + ":<type>"));
            if (!param.dtype) {
                if (auto e = check_attr_type(ctx, *t->scalar, s.text)) return *e;
                param.dtype = t->scalar;
            }
        }
        params.push_back(std::move(param));
    }
    return params;
}

} // namespace

Result<std::vector<Signature>> parse_annotations(std::string_view source, const std::string& file,
                                                 SourceKind kind) {
    const scan::Lexed lexed = scan::lex(source);
    std::vector<Signature> out;
    std::map<std::string, int> seen; // target name -> line
    for (const scan::LineComment& comment : lexed.comments) {
        if (!comment.starts_line) continue;
        std::string_view text = trim(comment.text);
        if (!text.starts_with("@BE")) continue;
        text.remove_prefix(3);
        if (!text.empty() && !is_space(text.front()) && text.front() != '=') continue; // @BEx
        const Context ctx{file, kind, comment.line};
        auto a = parse_text(ctx, text);
        if (!a) return a.error();
        if (auto it = seen.find(a->name); it != seen.end())
            return ctx.error("duplicate target name " + q(a->name) + " (first declared at line " +
                             std::to_string(it->second) + ")");
        seen.emplace(a->name, comment.line);
        // The first code token after the comment starts the declaration the bare form binds.
        const auto first =
            std::partition_point(lexed.tokens.begin(), lexed.tokens.end(),
                                 [&](const Token& t) { return t.offset < comment.offset; });
        auto params = a->bound ? bind_expression(ctx, *a, lexed.tokens)
                               : bind_bare(ctx, *a, lexed.tokens, first - lexed.tokens.begin());
        if (!params) return params.error();
        if (std::none_of(params->begin(), params->end(),
                         [](const Param& p) { return p.kind == ParamKind::ret; }))
            return ctx.error("no ret: target " + q(a->name) +
                             " has no ret token (a target needs at least one output)");
        Signature sig;
        sig.name = a->name;
        sig.bound_expression = a->bound;
        sig.function = a->bound ? a->expr : a->name;
        sig.params = std::move(*params);
        if (a->launch) {
            auto clause = parse_launch_clause(*a->launch, sig.params);
            if (!clause)
                return ctx.error("malformed launch clause " + q("launch(" + *a->launch + ")") +
                                 ": " + clause.error().message);
            sig.launch = std::move(*clause);
        }
        sig.file = file;
        sig.line = comment.line;
        out.push_back(std::move(sig));
    }
    return out;
}

std::vector<std::pair<std::string, int>> annotated_names(std::string_view source) {
    std::vector<std::pair<std::string, int>> names;
    int line = 0;
    while (!source.empty()) {
        ++line;
        const size_t end = std::min(source.find('\n'), source.size());
        std::string_view text = trim(source.substr(0, end));
        source.remove_prefix(std::min(end + 1, source.size()));
        if (!text.starts_with("//")) continue;
        text = trim(text.substr(2));
        if (!text.starts_with("@BE") || text.size() == 3 || !is_space(text[3])) continue;
        text = trim(text.substr(3));
        size_t n = 0;
        while (n < text.size() &&
               (std::isalnum(static_cast<unsigned char>(text[n])) || text[n] == '_'))
            ++n;
        if (n > 0) names.emplace_back(std::string(text.substr(0, n)), line);
    }
    return names;
}

bool calls_cuda_launch(std::string_view source) {
    // Most sources never name either: a plain search settles those without lexing.
    if (source.find("cuda_launch") == std::string_view::npos &&
        source.find("cuda_function") == std::string_view::npos)
        return false;
    const scan::Lexed lexed = scan::lex(source);
    return std::any_of(lexed.tokens.begin(), lexed.tokens.end(), [](const Token& t) {
        return t.is_ident() && (t.text == "cuda_launch" || t.text == "cuda_function");
    });
}

} // namespace be
