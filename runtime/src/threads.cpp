#include "settings_state.h"

#include <becore/runtime/log.h>
#include <becore/runtime/threads.h>

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <algorithm>
#include <atomic>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>

namespace be {

int configured_threads() {
    if (int configured = detail::threads_setting(); configured > 0) return configured;
    static const int threads = [] {
        const char* text = std::getenv("BECORE_THREADS");
        if (text == nullptr || *text == '\0') return 0;
        char* end = nullptr;
        long value = std::strtol(text, &end, 10);
        if (*end != '\0' || value < 1 || value > 4096) {
            log_warn(std::string("BECORE_THREADS=") + text +
                     " is not a positive thread count; using all cores");
            return 0;
        }
        return static_cast<int>(value);
    }();
    return threads;
}

namespace {

struct ThreadLimit {
    std::mutex mutex;
    bool applied = false;
    int threads = 0; // what `control` enforces; 0: none
    std::unique_ptr<tbb::global_control> control;
};

ThreadLimit& thread_limit() {
    static ThreadLimit limit;
    return limit;
}

void apply(ThreadLimit& limit) {
    const int threads = configured_threads();
    limit.applied = true;
    if (threads == limit.threads) return;
    // TBB obeys the smallest of the live controls: the old one goes first.
    limit.control.reset();
    if (threads > 0)
        limit.control = std::make_unique<tbb::global_control>(
            tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
    limit.threads = threads;
}

} // namespace

void apply_thread_limit() {
    ThreadLimit& limit = thread_limit();
    std::lock_guard lock(limit.mutex);
    apply(limit);
}

void detail::reapply_thread_limit() {
    ThreadLimit& limit = thread_limit();
    std::lock_guard lock(limit.mutex);
    if (limit.applied) apply(limit);
}

int active_thread_limit() {
    return static_cast<int>(
        tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
}

void run_bounded(size_t count, const std::function<void(size_t)>& task) {
    const int configured = configured_threads();
    const size_t limit =
        static_cast<size_t>(configured > 0 ? configured : tbb::info::default_concurrency());
    const size_t threads = std::min(limit, count);
    if (threads <= 1) {
        for (size_t i = 0; i < count; ++i)
            task(i);
        return;
    }
    // An arena of its own, so the bound holds whatever TBB's global limit or the caller's arena
    // allows; one long-lived task per thread takes the next index, so the order of starts is the
    // caller's (it may put its longest tasks first).
    std::atomic<size_t> next{0};
    tbb::task_arena arena(static_cast<int>(threads));
    arena.execute([&] {
        tbb::task_group group;
        for (size_t t = 0; t < threads; ++t)
            group.run([&] {
                for (size_t i; (i = next.fetch_add(1)) < count;)
                    tbb::this_task_arena::isolate([&] { task(i); });
            });
        group.wait();
    });
}

} // namespace be
