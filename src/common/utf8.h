// UTF-8 validation and repair for text that comes from outside (requests, files, pages).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace parley {

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text);

// Returns `text` with every ill-formed sequence replaced by U+FFFD.
std::string repair_utf8(std::string_view text);

// Length of the longest prefix of `text` that is at most `max_bytes` and does not cut a UTF-8 sequence.
std::size_t utf8_prefix_length(std::string_view text, std::size_t max_bytes);

// Decodes one code point at `text[pos]`, advancing `pos`; returns U+FFFD (and advances one byte) when ill-formed.
char32_t utf8_decode(std::string_view text, std::size_t& pos);

// Appends the UTF-8 encoding of `cp` to `out`.
void utf8_append(std::string& out, char32_t cp);

// `text` without leading and trailing spaces, tabs and line breaks.
std::string trim(std::string_view text);

// How many code points `text` holds (message limits are stated in characters); `text` is valid UTF-8.
std::size_t count_code_points(std::string_view text);

}  // namespace parley
