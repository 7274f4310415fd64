#include <becore/runtime/log.h>
#include <becore/runtime/threads.h>

#include <oneapi/tbb/global_control.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>

namespace be {

int configured_threads() {
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

void apply_thread_limit() {
    static std::once_flag once;
    static std::unique_ptr<tbb::global_control> control;
    std::call_once(once, [] {
        if (int threads = configured_threads(); threads > 0)
            control = std::make_unique<tbb::global_control>(
                tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
    });
}

int active_thread_limit() {
    return static_cast<int>(
        tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
}

} // namespace be
