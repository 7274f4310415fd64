// The built-in kernels: annotated sources shipped in kernels/builtin/ (staged to
// <home>/share/becore/kernels/builtin/), loaded with prefix "be" into the process's registry
// through the same cache as user kernels. The C++ API of frontends/ calls them by name.
#pragma once

#include <becore/registry/registry.h>

namespace be {

// Registry::global() with the built-ins registered by need (Registry::load_dir_by_need, once
// per process registry: again after be::shutdown()): a lookup of "be.<name>" loads the file(s) defining it, so a process compiles or
// maps only the built-ins it calls. A built-in that fails to compile reports that, naming its
// file, at its call. Throws be::Exception if the directory cannot be indexed (unreadable, a
// name defined twice). Registry::load_pending() loads the rest, e.g. to list every built-in.
Registry& builtin_registry();

// Calls the built-in target `name` (without the "be." prefix), throwing be::Exception with the
// target's message on failure: the frontends' C++ API reports errors as exceptions at its
// boundary (docs/architecture.md, "Errors").
void call_builtin(std::string_view name, std::span<const BE::Tensor> args,
                  std::span<BE::Tensor> rets, const AttrMap& attrs = {});

} // namespace be
