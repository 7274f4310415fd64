// The standard and TBB headers the built-in kernels use, in one header. Every built-in opens
// with `#include <be/builtin_includes.h>` (before its own quoted includes), so all of them share
// one precompiled prelude that holds these headers (docs/toolchain.md, "The prelude") instead of
// parsing TBB, <vector> and <algorithm> as text in each file. A user kernel may open with it too.
#pragma once

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>
