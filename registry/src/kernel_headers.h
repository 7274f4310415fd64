#pragma once

#include <string>

namespace be {
// A hash over becore's own kernel headers (their relative paths and contents), computed once
// per process; part of every cache key.
const std::string& kernel_headers_hash();
} // namespace be
