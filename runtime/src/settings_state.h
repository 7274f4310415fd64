// The parts of the process's settings (becore/runtime/settings.h) read on hot or early paths,
// kept where each is read without a lock: the log level and thread count as atomics, the log sink
// behind a shared pointer so that a message can be passed to it while configure() replaces it.
#pragma once

#include <becore/runtime/log.h>

#include <memory>
#include <optional>
#include <string>

namespace be::detail {

// -1 when unset (BECORE_LOG decides).
int log_level_setting();
// Null when unset (stderr).
std::shared_ptr<const LogSink> log_sink_setting();
// 0 when unset (BECORE_THREADS decides).
int threads_setting();
// Empty when unset (BECORE_CPU_TARGET decides).
std::string cpu_target_setting();
// Applies threads_setting() to TBB if apply_thread_limit() ran before (threads.cpp).
void reapply_thread_limit();

} // namespace be::detail
