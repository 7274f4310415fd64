// The built-in kernels: annotated sources shipped in kernels/builtin/ (staged to
// <home>/share/becore/kernels/builtin/), loaded with prefix "be" into the process's registry
// through the same cache as user kernels. The C++ API of frontends/ calls them by name.
#pragma once

#include <becore/registry/registry.h>

namespace be {

// Registry::global() with the built-ins loaded (once per process, on first use; a warm cache
// makes that a few milliseconds). Throws be::Exception naming the file if a built-in fails.
Registry& builtin_registry();

// Calls the built-in target `name` (without the "be." prefix), throwing be::Exception with the
// target's message on failure: the frontends' C++ API reports errors as exceptions at its
// boundary (docs/architecture.md, "Errors").
void call_builtin(std::string_view name, std::span<const BE::Tensor> args,
                  std::span<BE::Tensor> rets, const AttrMap& attrs = {});

} // namespace be
