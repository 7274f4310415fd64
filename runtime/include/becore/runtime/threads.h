// BECORE_THREADS: how many worker threads kernels may use (default: all cores). Applied to TBB
// process-wide before the first kernel is loaded.
#pragma once

namespace be {

// The configured limit, or 0 when BECORE_THREADS is unset (TBB's default: all cores). An
// invalid value is reported once and ignored.
int configured_threads();
// Applies the limit (idempotent). The CPU backend calls this when it starts.
void apply_thread_limit();
// The parallelism TBB currently allows in this process.
int active_thread_limit();

} // namespace be
