// becore's diagnostics on stderr, filtered by BECORE_LOG (warn by default, info, debug).
#pragma once

#include <string_view>

namespace be {

enum class LogLevel { warn = 0, info = 1, debug = 2 };

LogLevel log_level();
void log_message(LogLevel level, std::string_view message);
inline void log_warn(std::string_view message) { log_message(LogLevel::warn, message); }
inline void log_info(std::string_view message) { log_message(LogLevel::info, message); }
inline void log_debug(std::string_view message) { log_message(LogLevel::debug, message); }

} // namespace be
