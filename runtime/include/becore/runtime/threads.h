// BECORE_THREADS (or Settings::threads, becore/runtime/settings.h): how many worker threads kernels
// may use (default: all cores). Applied to TBB process-wide before the first kernel is loaded, and
// again when configure() changes it. It also bounds how many kernel files compile at
// once (run_bounded: Registry::load_dir, load_pending, BECORE_KERNEL_PATH, kernelctl build).
#pragma once

#include <cstddef>
#include <functional>

namespace be {

// The configured limit (Settings::threads, else BECORE_THREADS), or 0 when neither is set (TBB's
// default: all cores). An invalid BECORE_THREADS is reported once and ignored.
int configured_threads();
// Applies the limit (idempotent). The CPU backend calls this when it starts; configure() again.
void apply_thread_limit();
// The parallelism TBB currently allows in this process.
int active_thread_limit();

// Runs task(i) for every i in [0, count), each once, on at most BECORE_THREADS threads (the
// calling one included; default: all cores), taking the indices in ascending order as threads
// become free; returns when all have run. With one thread, or one task, they run in order on the
// calling thread. Tasks must not throw. Each task is isolated (tbb::this_task_arena::isolate): a
// task that waits for TBB work of its own (a kernel's static constructor running
// tbb::parallel_for) cannot pick up another task meanwhile, which could otherwise wait for a lock
// the first one holds.
void run_bounded(size_t count, const std::function<void(size_t)>& task);

} // namespace be
