#include "settings_state.h"

#include <becore/runtime/log.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace be {

LogLevel log_level() {
    if (int configured = detail::log_level_setting(); configured >= 0)
        return static_cast<LogLevel>(configured);
    static const LogLevel level = [] {
        const char* value = std::getenv("BECORE_LOG");
        std::string text = value ? value : "";
        if (text == "debug") return LogLevel::debug;
        if (text == "info") return LogLevel::info;
        if (!text.empty() && text != "warn")
            std::fprintf(stderr, "becore: warning: BECORE_LOG=%s is not one of warn, info, debug\n",
                         text.c_str());
        return LogLevel::warn;
    }();
    return level;
}

const char* log_level_name(LogLevel level) {
    static const char* const names[] = {"warn", "info", "debug"};
    return names[static_cast<int>(level)];
}

namespace {

thread_local LogCapture* t_capture = nullptr;

} // namespace

void log_message(LogLevel level, std::string_view message) {
    if (level > log_level()) return;
    if (t_capture != nullptr) {
        t_capture->messages_.push_back({level, std::string(message)});
        return;
    }
    // A sink is called without the lock: it may be slow (Python takes its interpreter lock) and
    // is documented to be safe to call from several threads.
    if (auto sink = detail::log_sink_setting()) {
        (*sink)(level, message);
        return;
    }
    static std::mutex mutex;
    static const char* const prefixes[] = {"warning", "info", "debug"};
    std::lock_guard lock(mutex);
    std::fprintf(stderr, "becore: %s: %.*s\n", prefixes[static_cast<int>(level)],
                 static_cast<int>(message.size()), message.data());
}

LogCapture::LogCapture() : outer_(t_capture) {
    t_capture = this;
}

LogCapture::~LogCapture() {
    t_capture = outer_;
    log_replay(messages_);
}

void log_replay(const std::vector<LoggedMessage>& messages) {
    for (const auto& m : messages)
        log_message(m.level, m.text);
}

} // namespace be
