#include "settings_state.h"

#include <becore/runtime/cpu_target.h>
#include <becore/runtime/settings.h>

#include <atomic>
#include <mutex>
#include <vector>

namespace be {

namespace {

struct State {
    std::mutex mutex;
    Settings settings;
    std::shared_ptr<const LogSink> sink;
    // The registry settings the process registry was created with, while it lives.
    std::optional<Settings> registry_settings;
    std::vector<std::function<void()>> hooks;
};

// Never destroyed: messages may be logged, and the registry shut down, during static destruction.
State& state() {
    static State* s = new State();
    return *s;
}

std::atomic<int> g_log_level{-1};
std::atomic<int> g_threads{0};

// The first registry setting that differs, or nullptr.
const char* changed_registry_setting(const Settings& a, const Settings& b) {
    if (a.cache_dir != b.cache_dir) return "cache_dir";
    if (a.disk_cache != b.disk_cache) return "disk_cache";
    if (a.cache_max_size != b.cache_max_size) return "cache_max_size";
    if (a.kernel_path != b.kernel_path) return "kernel_path";
    return nullptr;
}

Result<void> validate(const Settings& s) {
    if (s.cache_dir && s.cache_dir->empty())
        return make_error(ErrorCode::invalid_argument,
                          "configure: cache_dir is empty (leave it unset for the default)");
    if (s.threads && (*s.threads < 1 || *s.threads > 4096))
        return make_error(ErrorCode::invalid_argument,
                          "configure: threads must be between 1 and 4096, not " +
                              std::to_string(*s.threads) + " (leave it unset for all cores)");
    if (s.cache_max_size && *s.cache_max_size == 0)
        return make_error(ErrorCode::invalid_argument,
                          "configure: cache_max_size must be positive");
    if (s.cpu_target)
        if (auto target = parse_cpu_target(*s.cpu_target); !target)
            return make_error(ErrorCode::invalid_argument,
                              "configure: cpu_target=" + *s.cpu_target + ": " +
                                  target.error().message);
    return {};
}

} // namespace

Result<void> configure(const Settings& settings) {
    if (auto valid = validate(settings); !valid) return valid;
    State& s = state();
    {
        std::lock_guard lock(s.mutex);
        if (s.registry_settings)
            if (const char* name = changed_registry_setting(*s.registry_settings, settings))
                return make_error(
                    ErrorCode::invalid_argument,
                    std::string("configure: ") + name +
                        " is read when the process registry is created, and it exists "
                        "already: call be::shutdown() first");
        s.settings = settings;
        s.sink = settings.log_sink ? std::make_shared<const LogSink>(settings.log_sink) : nullptr;
        g_log_level = settings.log_level ? static_cast<int>(*settings.log_level) : -1;
        g_threads = settings.threads.value_or(0);
    }
    detail::reapply_thread_limit();
    return {};
}

Settings configured() {
    State& s = state();
    std::lock_guard lock(s.mutex);
    return s.settings;
}

void shutdown() {
    State& s = state();
    std::vector<std::function<void()>> hooks;
    {
        std::lock_guard lock(s.mutex);
        hooks.swap(s.hooks);
    }
    // Outside the lock: destroying the registry logs, and kernels' destructors may too.
    for (auto it = hooks.rbegin(); it != hooks.rend(); ++it)
        (*it)();
    {
        std::lock_guard lock(s.mutex);
        s.registry_settings.reset();
    }
    configure({}).value(); // the empty settings are valid and no registry is left
}

namespace detail {

Settings acquire_registry_settings() {
    State& s = state();
    std::lock_guard lock(s.mutex);
    s.registry_settings = s.settings;
    return s.settings;
}

void on_shutdown(std::function<void()> hook) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    s.hooks.push_back(std::move(hook));
}

int log_level_setting() {
    return g_log_level.load(std::memory_order_relaxed);
}

std::shared_ptr<const LogSink> log_sink_setting() {
    State& s = state();
    std::lock_guard lock(s.mutex);
    return s.sink;
}

int threads_setting() {
    return g_threads.load(std::memory_order_relaxed);
}

std::string cpu_target_setting() {
    State& s = state();
    std::lock_guard lock(s.mutex);
    return s.settings.cpu_target.value_or("");
}

} // namespace detail

} // namespace be
