#include <becore/runtime/log.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace be {

LogLevel log_level() {
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

void log_message(LogLevel level, std::string_view message) {
    if (level > log_level()) return;
    static std::mutex mutex;
    static const char* const prefixes[] = {"warning", "info", "debug"};
    std::lock_guard lock(mutex);
    std::fprintf(stderr, "becore: %s: %.*s\n", prefixes[static_cast<int>(level)],
                 static_cast<int>(message.size()), message.data());
}

} // namespace be
