// The parallel loops of the CPU built-ins, all through one non-template function (run_ranges).
// A tbb::parallel_for instantiates TBB's task machinery (start_for, its tree of splits, the
// partitioner's state) for every body type, that is for every lambda at every call site and in
// every instantiation of the kernel template around it: in csr.cpp that was 428 of 588
// functions, and optimising them was most of the time to compile the built-ins. Here each file
// instantiates it twice (one per partitioner), and a loop costs its body plus a small thunk that
// calls the body through a pointer once per range.
// Which thread runs which range never decides a result: the callers derive their partitions and
// summation orders from the sizes alone (event_common.h).
#pragma once

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>

#include <cstdint>

namespace be_parallel {

using RangeCall = void (*)(const void* body, int64_t begin, int64_t end);

// call(body, begin, end) over ranges covering [0, n): one range per index (TBB's simple
// partitioner, grain 1) when `one_per_task`, else ranges of at least `grain` indices sized by
// TBB's auto partitioner.
inline void run_ranges(int64_t n, int64_t grain, bool one_per_task, RangeCall call,
                       const void* body) {
    const tbb::blocked_range<int64_t> range(0, n, one_per_task ? 1 : grain);
    const auto task = [&](const tbb::blocked_range<int64_t>& r) { call(body, r.begin(), r.end()); };
    if (one_per_task)
        tbb::parallel_for(range, task, tbb::simple_partitioner());
    else
        tbb::parallel_for(range, task);
}

// body(begin, end) over ranges of at least `grain` indices covering [0, n).
template <typename F> void for_ranges(int64_t n, int64_t grain, const F& body) {
    run_ranges(
        n, grain, false,
        [](const void* f, int64_t begin, int64_t end) { (*static_cast<const F*>(f))(begin, end); },
        &body);
}

// body(i) for every i in [0, n), in parallel (tbb::parallel_for(0, n, body)).
template <typename F> void for_each(int64_t n, const F& body) {
    for_ranges(n, 1, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            body(i);
    });
}

// body(i) for every i in [0, n), each index a task of its own: for a few large pieces.
template <typename F> void for_each_task(int64_t n, const F& body) {
    run_ranges(
        n, 1, true,
        [](const void* f, int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i)
                (*static_cast<const F*>(f))(i);
        },
        &body);
}

} // namespace be_parallel
