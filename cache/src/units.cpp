#include <becore/cache/units.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <utility>

namespace be {

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Splits "1.5G" into 1.5 and "g"; nullopt unless the text starts with a plain decimal number
// (no sign, no exponent: "1e3" and "-1" are mistakes, not sizes).
std::optional<std::pair<double, std::string>> split_number(std::string_view text) {
    size_t i = 0;
    while (i < text.size() && text[i] == ' ')
        ++i;
    size_t start = i, digits = 0;
    bool dot = false;
    for (; i < text.size(); ++i) {
        char c = text[i];
        if (c >= '0' && c <= '9') {
            ++digits;
        } else if (c == '.' && !dot) {
            dot = true;
        } else {
            break;
        }
    }
    if (digits == 0) return std::nullopt;
    std::string number(text.substr(start, i - start));
    size_t end = text.size();
    while (end > i && text[end - 1] == ' ')
        --end;
    std::string suffix = lower(text.substr(i, end - i));
    while (!suffix.empty() && suffix.front() == ' ')
        suffix.erase(suffix.begin());
    return std::make_pair(std::strtod(number.c_str(), nullptr), suffix);
}

} // namespace

Result<uint64_t> parse_size(std::string_view text) {
    auto error = [&] {
        return make_error(
            ErrorCode::invalid_argument,
            "size '" + std::string(text) +
                "': expected a number with an optional K, M, G or T suffix (e.g. 2G)");
    };
    auto parts = split_number(text);
    if (!parts) return error();
    auto [number, suffix] = *parts;
    // "10KB", "2GiB" and "512B" mean what they say; the units are powers of 1024 either way.
    if (suffix.size() == 3 && suffix.substr(1) == "ib") suffix.resize(1);
    if (suffix.size() == 2 && suffix[1] == 'b') suffix.resize(1);
    double scale = 0;
    if (suffix.empty() || suffix == "b") scale = 1;
    if (suffix == "k") scale = 1024.0;
    if (suffix == "m") scale = 1024.0 * 1024;
    if (suffix == "g") scale = 1024.0 * 1024 * 1024;
    if (suffix == "t") scale = 1024.0 * 1024 * 1024 * 1024;
    if (scale == 0) return error();
    double bytes = std::floor(number * scale);
    if (bytes >= static_cast<double>(std::numeric_limits<uint64_t>::max()))
        return make_error(ErrorCode::invalid_argument,
                          "size '" + std::string(text) + "': too large");
    return static_cast<uint64_t>(bytes);
}

Result<std::chrono::seconds> parse_duration(std::string_view text) {
    auto parts = split_number(text);
    double scale = 0;
    if (parts) {
        const std::string& suffix = parts->second;
        if (suffix.empty() || suffix == "s") scale = 1;
        if (suffix == "m") scale = 60;
        if (suffix == "h") scale = 3600;
        if (suffix == "d") scale = 86400;
    }
    if (scale == 0)
        return make_error(
            ErrorCode::invalid_argument,
            "duration '" + std::string(text) +
                "': expected a number with an optional s, m, h or d suffix (e.g. 30d)");
    double seconds = std::floor(parts->first * scale);
    if (seconds >= 1e15)
        return make_error(ErrorCode::invalid_argument,
                          "duration '" + std::string(text) + "': too long");
    return std::chrono::seconds(static_cast<int64_t>(seconds));
}

std::string format_size(uint64_t bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    if (unit == 0)
        std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
    else
        std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
    return text;
}

} // namespace be
