// Python str semantics on UTF-8 strings: lengths, indexes and slices count code points, and the str methods chat
// templates call (strip, split, startswith, upper, title, ...) behave as in Python.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::engine::jinja {

std::u32string decode_code_points(std::string_view text);
std::string encode_code_points(std::u32string_view code_points);
std::size_t code_point_count(std::string_view text);

// Python's str.isspace() for one code point.
bool is_python_space(char32_t cp);

enum class StripSide { both, left, right };
// str.strip/lstrip/rstrip: without `chars`, strips whitespace.
std::string python_strip(std::string_view text, const std::optional<std::string>& chars, StripSide side);
// str.split: without `separator`, splits on runs of whitespace and drops empty parts; max_split < 0 is unlimited.
// Throws JinjaError for an empty separator.
std::vector<std::string> python_split(std::string_view text, const std::optional<std::string>& separator,
                                      int64_t max_split);
std::string python_upper(std::string_view text);
std::string python_lower(std::string_view text);
std::string python_title(std::string_view text);
std::string python_capitalize(std::string_view text);
// str.replace; count < 0 replaces all. Throws JinjaError when the result would exceed `max_bytes`.
std::string python_replace(std::string_view text, std::string_view old_text, std::string_view new_text,
                           int64_t count, std::size_t max_bytes);

// Appends `part` to `out`, or throws JinjaError when `out` would grow past `max_bytes`.
void append_bounded(std::string& out, std::string_view part, std::size_t max_bytes);

// The indexes a Python slice [start:stop:step] selects in a sequence of `length` items. Throws JinjaError when
// step is 0.
std::vector<std::size_t> slice_indexes(std::size_t length, std::optional<int64_t> start, std::optional<int64_t> stop,
                                       std::optional<int64_t> step);

}  // namespace parley::engine::jinja
