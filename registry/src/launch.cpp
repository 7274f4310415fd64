// Launch clauses: the grammar is in becore/registry/launch.h.
#include <becore/registry/launch.h>

#include <be/tensor.h>

#include <cctype>
#include <charconv>
#include <cstring>
#include <limits>

namespace be {
namespace {

struct Token {
    enum class Kind { ident, integer, punct, end } kind = Kind::end;
    std::string text;
};

std::string q(std::string_view s) {
    return "'" + std::string(s) + "'";
}

// Splits the clause into identifiers, digit runs and the punctuation = , . ( ).
Result<std::vector<Token>> tokenize(std::string_view text) {
    std::vector<Token> tokens;
    size_t i = 0;
    while (i < text.size()) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (std::isspace(c)) {
            ++i;
        } else if (std::isalpha(c) || c == '_') {
            size_t end = i;
            while (end < text.size() &&
                   (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_'))
                ++end;
            tokens.push_back({Token::Kind::ident, std::string(text.substr(i, end - i))});
            i = end;
        } else if (std::isdigit(c)) {
            size_t end = i;
            while (end < text.size() && std::isalnum(static_cast<unsigned char>(text[end])))
                ++end;
            const std::string_view word = text.substr(i, end - i);
            for (char d : word)
                if (!std::isdigit(static_cast<unsigned char>(d)))
                    return make_error(ErrorCode::invalid_argument,
                                      q(word) + " is not a decimal integer");
            tokens.push_back({Token::Kind::integer, std::string(word)});
            i = end;
        } else if (std::strchr("=,.()", c) != nullptr) {
            tokens.push_back({Token::Kind::punct, std::string(1, text[i])});
            ++i;
        } else {
            return make_error(ErrorCode::invalid_argument,
                              "unexpected character " + q(text.substr(i, 1)) +
                                  " (expressions are an integer, an attr, x.numel() or x.size(d))");
        }
    }
    tokens.push_back({Token::Kind::end, ""});
    return tokens;
}

Result<int64_t> integer_value(const Token& t, const char* what, int64_t lo, int64_t hi) {
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), value);
    if (ec != std::errc() || value < lo || value > hi)
        return make_error(ErrorCode::invalid_argument,
                          std::string(what) + " " + q(t.text) + " is out of range (" +
                              std::to_string(lo) + ".." + std::to_string(hi) + ")");
    return value;
}

class Parser {
  public:
    Parser(std::vector<Token> tokens, const std::vector<Param>& params)
        : tokens_(std::move(tokens)), params_(params) {}

    Result<LaunchClause> clause() {
        LaunchClause c;
        bool seen_count = false, seen_block = false, seen_smem = false;
        for (;;) {
            const Token key = next();
            if (key.kind != Token::Kind::ident)
                return make_error(ErrorCode::invalid_argument,
                                  "expected threads=, blocks=, block= or smem=, found " +
                                      found(key));
            if (!accept("="))
                return make_error(ErrorCode::invalid_argument, "expected '=' after " + q(key.text));
            if (key.text == "threads" || key.text == "blocks") {
                if (seen_count)
                    return make_error(ErrorCode::invalid_argument,
                                      q(key.text) + " after " +
                                          q(c.per_thread ? "threads" : "blocks") +
                                          " (give exactly one of threads= and blocks=)");
                seen_count = true;
                c.per_thread = key.text == "threads";
                auto e = expression();
                if (!e) return e.error();
                c.count = *e;
            } else if (key.text == "block" || key.text == "smem") {
                bool& seen = key.text == "block" ? seen_block : seen_smem;
                if (seen)
                    return make_error(ErrorCode::invalid_argument, q(key.text) + " given twice");
                seen = true;
                const Token value = next();
                if (value.kind != Token::Kind::integer)
                    return make_error(ErrorCode::invalid_argument,
                                      q(key.text) + " takes an integer, found " + found(value));
                auto n = key.text == "block"
                             ? integer_value(value, "block", 1, 1024)
                             : integer_value(value, "smem", 0, std::numeric_limits<int32_t>::max());
                if (!n) return n.error();
                (key.text == "block" ? c.block : c.shared_bytes) = static_cast<int>(*n);
            } else {
                return make_error(ErrorCode::invalid_argument,
                                  "unknown key " + q(key.text) +
                                      " (expected threads, blocks, block or smem)");
            }
            if (peek().kind == Token::Kind::end) break;
            if (!accept(","))
                return make_error(ErrorCode::invalid_argument,
                                  "expected ',' or the end of the clause, found " + found(peek()));
        }
        if (!seen_count)
            return make_error(ErrorCode::invalid_argument,
                              "no threads= or blocks= (one of them is required)");
        return c;
    }

  private:
    const Token& peek() const { return tokens_[pos_]; }
    Token next() {
        Token t = tokens_[pos_];
        if (t.kind != Token::Kind::end) ++pos_;
        return t;
    }
    bool accept(std::string_view punct) {
        if (peek().kind != Token::Kind::punct || peek().text != punct) return false;
        ++pos_;
        return true;
    }
    static std::string found(const Token& t) {
        return t.kind == Token::Kind::end ? "the end of the clause" : q(t.text);
    }

    const Param* param(const std::string& name, size_t& index) const {
        for (index = 0; index < params_.size(); ++index)
            if (params_[index].name == name) return &params_[index];
        return nullptr;
    }

    Result<LaunchExpr> expression() {
        LaunchExpr e;
        const Token first = next();
        if (first.kind == Token::Kind::integer) {
            auto n = integer_value(first, "constant", 1, std::numeric_limits<int64_t>::max());
            if (!n) return n.error();
            e.value = *n;
            return e;
        }
        if (first.kind != Token::Kind::ident)
            return make_error(ErrorCode::invalid_argument,
                              "expected an integer, an attr or a tensor expression, found " +
                                  found(first));
        const Param* p = param(first.text, e.param);
        e.name = first.text;
        if (p == nullptr)
            return make_error(ErrorCode::invalid_argument,
                              q(first.text) + " is not a parameter of the target (expected an "
                                              "integer attr or a tensor parameter)");
        const bool tensor = p->kind == ParamKind::arg || p->kind == ParamKind::ret;
        if (!accept(".")) {
            if (tensor)
                return make_error(ErrorCode::invalid_argument,
                                  q(first.text) + " is a tensor; write " +
                                      q(first.text + ".numel()") + " or " +
                                      q(first.text + ".size(d)"));
            const DType t = p->dtype.value_or(DType::float64);
            if (p->kind != ParamKind::attr || t == DType::bool_ || t == DType::float16 ||
                t == DType::bfloat16 || t == DType::float32 || t == DType::float64)
                return make_error(ErrorCode::invalid_argument, "attr " + q(first.text) + " is " +
                                                                   std::string(dtype_name(t)) +
                                                                   "; a launch expression needs an "
                                                                   "integer attr");
            e.kind = LaunchExpr::Kind::attr;
            return e;
        }
        if (!tensor)
            return make_error(ErrorCode::invalid_argument,
                              q(first.text) + " is an attr, not a tensor; only tensors have "
                                              ".numel() and .size(d)");
        const Token method = next();
        if (method.kind != Token::Kind::ident || (method.text != "numel" && method.text != "size"))
            return make_error(ErrorCode::invalid_argument,
                              "expected numel() or size(d) after " + q(first.text + "."));
        if (!accept("("))
            return make_error(ErrorCode::invalid_argument,
                              "expected '(' after " + q(first.text + "." + method.text));
        if (method.text == "numel") {
            e.kind = LaunchExpr::Kind::numel;
        } else {
            e.kind = LaunchExpr::Kind::size;
            const Token d = next();
            if (d.kind != Token::Kind::integer)
                return make_error(ErrorCode::invalid_argument,
                                  q(first.text + ".size") + " takes a dimension 0.." +
                                      std::to_string(BE::k_max_rank - 1) + ", found " + found(d));
            auto n = integer_value(d, "dimension", 0, BE::k_max_rank - 1);
            if (!n) return n.error();
            e.value = *n;
        }
        if (!accept(")"))
            return make_error(ErrorCode::invalid_argument,
                              "expected ')' after " +
                                  q(first.text + "." + method.text + "(" +
                                    (e.kind == LaunchExpr::Kind::size ? std::to_string(e.value)
                                                                      : std::string())));
        return e;
    }

    std::vector<Token> tokens_;
    const std::vector<Param>& params_;
    size_t pos_ = 0;
};

std::string expression_text(const LaunchExpr& e) {
    switch (e.kind) {
    case LaunchExpr::Kind::constant:
        return std::to_string(e.value);
    case LaunchExpr::Kind::attr:
        return e.name;
    case LaunchExpr::Kind::numel:
        return e.name + ".numel()";
    case LaunchExpr::Kind::size:
        return e.name + ".size(" + std::to_string(e.value) + ")";
    }
    return {};
}

// An integer attr's value as marshalled (its declared type), widened.
Result<int64_t> attr_value(const Param& p, const void* value) {
    switch (p.dtype.value_or(DType::int64)) {
    case DType::int8:
        return *static_cast<const int8_t*>(value);
    case DType::int16:
        return *static_cast<const int16_t*>(value);
    case DType::int32:
        return *static_cast<const int32_t*>(value);
    case DType::int64:
        return *static_cast<const int64_t*>(value);
    case DType::uint8:
        return *static_cast<const uint8_t*>(value);
    case DType::uint16:
        return *static_cast<const uint16_t*>(value);
    case DType::uint32:
        return *static_cast<const uint32_t*>(value);
    case DType::uint64: {
        const uint64_t u = *static_cast<const uint64_t*>(value);
        if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            return make_error(ErrorCode::invalid_argument,
                              "attr '" + p.name + "' = " + std::to_string(u) + " is too large");
        return static_cast<int64_t>(u);
    }
    default:
        break;
    }
    return make_error(ErrorCode::invalid_argument, "attr '" + p.name + "' is not an integer");
}

} // namespace

Result<LaunchClause> parse_launch_clause(std::string_view text, const std::vector<Param>& params) {
    auto tokens = tokenize(text);
    if (!tokens) return tokens.error();
    if (tokens->size() == 1) return make_error(ErrorCode::invalid_argument, "empty");
    Parser parser(std::move(*tokens), params);
    auto clause = parser.clause();
    if (!clause) return clause.error();
    clause->text = std::string(text);
    return clause;
}

Result<LaunchGeometry> evaluate_launch(const LaunchClause& clause, const std::vector<Param>& params,
                                       const void* const* values) {
    const LaunchExpr& e = clause.count;
    const std::string what = "launch(" + clause.text + "): " + expression_text(e);
    int64_t count = e.value;
    if (e.kind == LaunchExpr::Kind::attr) {
        auto v = attr_value(params[e.param], values[e.param]);
        if (!v)
            return make_error(v.error().code(),
                              "launch(" + clause.text + "): " + v.error().message);
        if (*v < 0)
            return make_error(ErrorCode::invalid_argument,
                              what + " is negative (" + std::to_string(*v) + ")");
        count = *v;
    } else if (e.kind != LaunchExpr::Kind::constant) {
        const auto* t = static_cast<const BE::Tensor*>(values[e.param]);
        if (e.kind == LaunchExpr::Kind::size && e.value >= t->ndim())
            return make_error(ErrorCode::invalid_argument,
                              what + ": '" + e.name + "' has rank " + std::to_string(t->ndim()));
        count = e.kind == LaunchExpr::Kind::numel ? t->numel() : t->size(static_cast<int>(e.value));
    }
    const int64_t blocks =
        clause.per_thread ? count / clause.block + (count % clause.block != 0) : count;
    constexpr int64_t k_max_blocks = std::numeric_limits<int32_t>::max(); // gridDim.x limit
    if (blocks > k_max_blocks)
        return make_error(ErrorCode::invalid_argument, what + " = " + std::to_string(count) +
                                                           " gives " + std::to_string(blocks) +
                                                           " blocks, beyond CUDA's limit of " +
                                                           std::to_string(k_max_blocks));
    return LaunchGeometry{static_cast<uint32_t>(blocks), static_cast<uint32_t>(clause.block),
                          static_cast<uint32_t>(clause.shared_bytes)};
}

} // namespace be
