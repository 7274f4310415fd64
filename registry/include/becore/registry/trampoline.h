// The `extern "C"` entry trampolines appended to every `.cpp` kernel source before it is
// compiled, one per `// @BE` target. The host calls kernels only through them.
//
// Calling convention (host → JIT-compiled code; the kernel side is be/entry.h):
//
//   extern "C" int __be_entry_<name>(void* const* params, BE::detail::ErrorSink* error) noexcept
//
// - params has one entry per Signature::params, in order; params[i] points at the i-th
//   parameter's value: a BE::Tensor for arg and ret, an int64_t for stream, and for an attr a
//   scalar of its type: bool, int8_t..int64_t, uint8_t..uint64_t, float (float32), double
//   (float64). The pointee is not modified except through a ret's data; an arg's BE::Tensor
//   object may be reached through a non-const reference when the kernel declares its input as
//   `BE::Tensor&` (allowed, read-only by convention), so it must not be a const object.
// - The return value is 0 on success and non-zero on failure, in which case `error` holds a
//   NUL-terminated message (a failed BE_CHECK, a C++ exception). No exception leaves it.
// - Each trampoline static_asserts that the callee's parameters match the tokens (count, then
//   each parameter's kind and scalar type), with messages naming the target and the token; a
//   `#line` directive places those diagnostics at the annotation's line.
// - float16/bfloat16 attrs have no host scalar type; the parser rejects them in .cpp sources,
//   and a trampoline for such a signature fails to compile with a message saying so.
#pragma once

#include <becore/registry/signature.h>

#include <string>
#include <vector>

namespace be {

// C++ source text defining the trampolines of `signatures`, to be appended after the user's
// source (it starts with a newline, so a source without a final newline is fine).
std::string generate_cpp_trampolines(const std::vector<Signature>& signatures);

// "__be_entry_<name>": the symbol a target's trampoline defines.
std::string entry_symbol(const Signature& signature);

// The CUDA emulation (device cuda-emu; becore/runtime/cuda_emu.h). For each `.cu` signature:
//
//   extern "C" int __be_emu_entry_<name>(void* const* params,
//                                        BE::detail::ErrorSink* error) noexcept
//
// with the calling convention above (params as for a `.cpp` entry, no stream). It is the body
// each emulated thread runs, so the host does not call it directly: it passes it, as an
// be::EmuKernelBody, to be::emulate_launch with the launch geometry and params. Its static_asserts
// require every tensor parameter, arg or ret, to be a BE::Tensor taken by value.
// Append the text to the source after prepare_emulation_source, and compile it with
// emulation_pre_includes().
std::string generate_emu_trampolines(const std::vector<Signature>& signatures);

// "__be_emu_entry_<name>".
std::string emu_entry_symbol(const Signature& signature);

} // namespace be
