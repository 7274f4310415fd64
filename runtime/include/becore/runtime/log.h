// becore's diagnostics on stderr, filtered by BECORE_LOG (warn by default, info, debug); the level
// and where messages go can also be configured (becore/runtime/settings.h).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace be {

enum class LogLevel { warn = 0, info = 1, debug = 2 };

// Receives each message instead of stderr (Settings::log_sink); the text has no prefix or newline.
using LogSink = std::function<void(LogLevel, std::string_view)>;

LogLevel log_level(); // the configured level, else BECORE_LOG's
const char* log_level_name(LogLevel level); // "warn", "info", "debug"

void log_message(LogLevel level, std::string_view message);
inline void log_warn(std::string_view message) { log_message(LogLevel::warn, message); }
inline void log_info(std::string_view message) { log_message(LogLevel::info, message); }
inline void log_debug(std::string_view message) { log_message(LogLevel::debug, message); }

// A message kept by a LogCapture.
struct LoggedMessage {
    LogLevel level;
    std::string text;
};

// While alive, the messages the constructing thread logs (those BECORE_LOG lets through) are kept
// instead of printed; log_replay prints them later, from any thread. Loads that run in parallel
// print each file's messages in file order this way, as a sequential load would. Messages logged
// by other threads (TBB workers a kernel's static constructor started) print at once. Captures
// nest (the inner one keeps its messages). Construct and destroy it on the same thread.
class LogCapture {
  public:
    LogCapture();
    ~LogCapture(); // prints what was not taken
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;
    std::vector<LoggedMessage> take() { return std::exchange(messages_, {}); }

  private:
    friend void log_message(LogLevel, std::string_view);
    std::vector<LoggedMessage> messages_;
    LogCapture* outer_;
};

// Prints captured messages, in order (through the capture active on this thread, if any).
void log_replay(const std::vector<LoggedMessage>& messages);

} // namespace be
