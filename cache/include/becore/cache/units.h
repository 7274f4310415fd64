// Sizes and durations as users write them on command lines and in the environment
// (docs/architecture.md, "Command-line tools"): sizes take K/M/G/T suffixes (powers of 1024),
// durations s/m/h/d.
//   parse_size("2G") == 2147483648, parse_size("512") == 512, parse_size("1.5M") == 1572864
//   parse_duration("90s"), parse_duration("12h"), parse_duration("7d"); a bare number is seconds
#pragma once

#include <becore/runtime/error.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace be {

// Bytes. Accepts an optional "B"/"iB" after the suffix ("2GiB", "10KB"), case-insensitive.
// Errors name the text: "size '2X': expected a number with an optional K, M, G or T suffix".
Result<uint64_t> parse_size(std::string_view text);
Result<std::chrono::seconds> parse_duration(std::string_view text);

// "1.5 MiB", "812 B": for messages and `kernelctl stats`.
std::string format_size(uint64_t bytes);

} // namespace be
