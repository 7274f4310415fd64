#include <becore/registry/trampoline.h>

#include <filesystem>

namespace be {

namespace {

// For a C++ string literal.
std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

// The host scalar type of an attr, or empty for the half-width types that have none.
std::string scalar_type(DType d) {
    switch (d) {
    case DType::bool_:
        return "bool";
    case DType::int8:
        return "std::int8_t";
    case DType::int16:
        return "std::int16_t";
    case DType::int32:
        return "std::int32_t";
    case DType::int64:
        return "std::int64_t";
    case DType::uint8:
        return "std::uint8_t";
    case DType::uint16:
        return "std::uint16_t";
    case DType::uint32:
        return "std::uint32_t";
    case DType::uint64:
        return "std::uint64_t";
    case DType::float32:
        return "float";
    case DType::float64:
        return "double";
    case DType::float16:
    case DType::bfloat16:
        break;
    }
    return {};
}

// The token as an annotation would spell it, for messages.
std::string token_text(const Param& p) {
    std::string text = param_kind_name(p.kind);
    if (p.kind == ParamKind::attr) text += "." + p.name;
    if (p.dtype && p.kind != ParamKind::stream) text += ":" + std::string(dtype_name(*p.dtype));
    return text;
}

// `param_is_scalar` asserts one exact type; the 64-bit integers also have a second spelling
// on LP64 (int64_t is `long`, yet `long long` is as wide), and a kernel may use either.
std::string scalar_check(const std::string& type, size_t i) {
    const std::string idx = std::to_string(i);
    std::string check = "::BE::detail::param_is_scalar<F, " + idx + ", " + type + ">()";
    if (type == "std::int64_t")
        check += " || ::BE::detail::param_is_scalar<F, " + idx + ", long long>()";
    if (type == "std::uint64_t")
        check += " || ::BE::detail::param_is_scalar<F, " + idx + ", unsigned long long>()";
    return check;
}

// What differs between the `.cpp` entries and the emulated `.cu` ones, whose tensors (args and
// rets alike) are BE::Tensor values: a top-level const is not part of a parameter's type.
enum class Flavor { cpu, emu };

struct TensorCheck {
    std::string condition;
    std::string needs;
};

TensorCheck tensor_check(Flavor flavor, ParamKind kind, const std::string& idx) {
    if (flavor == Flavor::emu)
        return {"::std::is_same_v<::BE::detail::param_t<F, " + idx + ">, ::BE::Tensor>",
                "a BE::Tensor parameter (by value)"};
    if (kind == ParamKind::ret)
        return {"::BE::detail::param_is_ret<F, " + idx + ">()", "a BE::Tensor& parameter"};
    // The parser lets `arg` bind a non-const BE::Tensor& (read-only by convention), so the check
    // admits it and the value is a non-const lvalue, which binds to every admitted parameter type
    // (const BE::Tensor&, BE::Tensor&, BE::Tensor by value).
    return {"::BE::detail::param_is_arg<F, " + idx + ">() || ::std::is_same_v<" +
                "::BE::detail::param_t<F, " + idx + ">, ::BE::Tensor&>",
            "a const BE::Tensor& parameter"};
}

void generate_one(const Signature& s, Flavor flavor, std::string& out) {
    const std::string file = escape(std::filesystem::path(s.file).filename().string());
    const std::string line = std::to_string(s.line);
    const std::string where = "#line " + line + "\n"; // every statement reports at the annotation
    const std::string who = escape("@BE " + s.name + ": ");
    const size_t n = s.params.size();

    out += "#line " + line + " \"" + file + "\"\n";
    out += "extern \"C\" int " + (flavor == Flavor::cpu ? entry_symbol(s) : emu_entry_symbol(s)) +
           "(void* const* params, ::BE::detail::ErrorSink* error) noexcept {\n";
    out += where + "    using F = decltype(&" + s.function + ");\n";
    out += where + "    static_assert(::BE::detail::arity<F>() == " + std::to_string(n) + ", \"" +
           who + std::to_string(n) + " tokens but " + escape(s.function) +
           " has a different number of parameters\");\n";
    std::string call;
    for (size_t i = 0; i < n; ++i) {
        const Param& p = s.params[i];
        const std::string idx = std::to_string(i);
        const std::string token =
            who + "token " + std::to_string(i + 1) + " '" + escape(token_text(p)) + "' needs ";
        std::string value;
        switch (p.kind) {
        case ParamKind::arg:
        case ParamKind::ret: {
            const TensorCheck check = tensor_check(flavor, p.kind, idx);
            value = "*static_cast<::BE::Tensor*>(params[" + idx + "])";
            out += where + "    static_assert(" + check.condition + ", \"" + token + check.needs +
                   "\");\n";
            break;
        }
        case ParamKind::stream:
            value = "*static_cast<const std::int64_t*>(params[" + idx + "])";
            if (flavor == Flavor::emu)
                out += where + "    static_assert(false, \"" + token +
                       "a host entry: .cu kernels take no stream\");\n";
            else
                out += where + "    static_assert(" + scalar_check("std::int64_t", i) + ", \"" +
                       token + "an int64_t parameter\");\n";
            break;
        case ParamKind::attr: {
            const std::string type = p.dtype ? scalar_type(*p.dtype) : std::string();
            if (type.empty()) {
                out += where + "    static_assert(false, \"" + token +
                       "a host scalar type, and float16/bfloat16 attrs have none in " +
                       (flavor == Flavor::cpu ? ".cpp entries" : "CUDA emulation") + "\");\n";
                value = "0";
                break;
            }
            value = "*static_cast<const " + type + "*>(params[" + idx + "])";
            out += where + "    static_assert(" + scalar_check(type, i) + ", \"" + token + "a " +
                   type + " parameter\");\n";
            break;
        }
        }
        call += (i ? ", " : "") + value;
    }
    out += where + "    return ::BE::detail::run_entry(error, [&] { " + s.function + "(" + call +
           "); });\n";
    out += "}\n";
}

} // namespace

std::string entry_symbol(const Signature& signature) {
    return "__be_entry_" + signature.name;
}

std::string generate_cpp_trampolines(const std::vector<Signature>& signatures) {
    std::string out = "\n// Entry trampolines generated by becore (registry/src/trampoline.cpp).\n";
    for (const Signature& s : signatures)
        generate_one(s, Flavor::cpu, out);
    return out;
}

std::string emu_entry_symbol(const Signature& signature) {
    return "__be_emu_entry_" + signature.name;
}

std::string generate_emu_trampolines(const std::vector<Signature>& signatures) {
    std::string out = "\n// CUDA emulation entry trampolines generated by becore "
                      "(registry/src/trampoline.cpp).\n";
    for (const Signature& s : signatures)
        generate_one(s, Flavor::emu, out);
    return out;
}

} // namespace be
