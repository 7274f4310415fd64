// Pre-included into every kernel source that becore compiles.
#pragma once

#include "check.h"
#include "tensor.h"

#if !defined(__CUDACC__) && !defined(__CUDACC_RTC__)
#include "cuda_launch.h"
#include "entry.h"
#endif
