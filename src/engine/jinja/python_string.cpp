#include "engine/jinja/python_string.h"

#include <utf8proc.h>

#include "common/utf8.h"
#include "engine/jinja/error.h"

namespace parley::engine::jinja {

std::u32string decode_code_points(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) out += utf8_decode(text, pos);
  return out;
}

std::string encode_code_points(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (const char32_t cp : code_points) utf8_append(out, cp);
  return out;
}

std::size_t code_point_count(std::string_view text) {
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    utf8_decode(text, pos);
    ++count;
  }
  return count;
}

bool is_python_space(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

std::string python_strip(std::string_view text, const std::optional<std::string>& chars, StripSide side) {
  const std::u32string cps = decode_code_points(text);
  const std::u32string strip_set = chars ? decode_code_points(*chars) : std::u32string();
  const auto strips = [&](char32_t cp) {
    return chars ? strip_set.find(cp) != std::u32string::npos : is_python_space(cp);
  };
  std::size_t begin = 0;
  std::size_t end = cps.size();
  if (side != StripSide::right) {
    while (begin < end && strips(cps[begin])) ++begin;
  }
  if (side != StripSide::left) {
    while (end > begin && strips(cps[end - 1])) --end;
  }
  return encode_code_points(std::u32string_view(cps).substr(begin, end - begin));
}

std::vector<std::string> python_split(std::string_view text, const std::optional<std::string>& separator,
                                      int64_t max_split) {
  std::vector<std::string> parts;
  if (separator) {
    if (separator->empty()) throw JinjaError("empty separator");
    std::size_t start = 0;
    while (max_split < 0 || static_cast<int64_t>(parts.size()) < max_split) {
      const std::size_t found = text.find(*separator, start);
      if (found == std::string_view::npos) break;
      parts.emplace_back(text.substr(start, found - start));
      start = found + separator->size();
    }
    parts.emplace_back(text.substr(start));
    return parts;
  }
  const std::u32string cps = decode_code_points(text);
  std::size_t i = 0;
  while (true) {
    while (i < cps.size() && is_python_space(cps[i])) ++i;
    if (i == cps.size()) break;
    if (max_split >= 0 && static_cast<int64_t>(parts.size()) == max_split) {
      // The rest, with trailing whitespace removed, is the last part.
      std::size_t end = cps.size();
      while (end > i && is_python_space(cps[end - 1])) --end;
      parts.push_back(encode_code_points(std::u32string_view(cps).substr(i, end - i)));
      break;
    }
    std::size_t end = i;
    while (end < cps.size() && !is_python_space(cps[end])) ++end;
    parts.push_back(encode_code_points(std::u32string_view(cps).substr(i, end - i)));
    i = end;
  }
  return parts;
}

namespace {

bool is_cased(char32_t cp) {
  const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return category == UTF8PROC_CATEGORY_LU || category == UTF8PROC_CATEGORY_LL || category == UTF8PROC_CATEGORY_LT;
}

char32_t to_upper(char32_t cp) {
  return static_cast<char32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(cp)));
}
char32_t to_lower(char32_t cp) {
  return static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
}

template <typename Map>
std::string map_code_points(std::string_view text, Map map) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) utf8_append(out, map(utf8_decode(text, pos)));
  return out;
}

}  // namespace

std::string python_upper(std::string_view text) { return map_code_points(text, to_upper); }
std::string python_lower(std::string_view text) { return map_code_points(text, to_lower); }

std::string python_title(std::string_view text) {
  bool previous_cased = false;
  return map_code_points(text, [&](char32_t cp) {
    const char32_t mapped = previous_cased ? to_lower(cp) : to_upper(cp);
    previous_cased = is_cased(cp);
    return mapped;
  });
}

std::string python_capitalize(std::string_view text) {
  bool first = true;
  return map_code_points(text, [&](char32_t cp) {
    const char32_t mapped = first ? to_upper(cp) : to_lower(cp);
    first = false;
    return mapped;
  });
}

void append_bounded(std::string& out, std::string_view part, std::size_t max_bytes) {
  if (out.size() > max_bytes || part.size() > max_bytes - out.size()) {
    throw JinjaError("string longer than the limit of " + std::to_string(max_bytes) + " bytes");
  }
  out += part;
}

std::string python_replace(std::string_view text, std::string_view old_text, std::string_view new_text,
                           int64_t count, std::size_t max_bytes) {
  std::string out;
  const auto append = [&](std::string_view part) { append_bounded(out, part, max_bytes); };
  int64_t done = 0;
  const auto may_replace = [&] { return count < 0 || done < count; };
  if (old_text.empty()) {
    // Python inserts the replacement before every character and at the end.
    std::size_t pos = 0;
    while (pos < text.size()) {
      const std::size_t start = pos;
      if (may_replace()) {
        append(new_text);
        ++done;
      }
      utf8_decode(text, pos);
      append(text.substr(start, pos - start));
    }
    if (may_replace()) append(new_text);
    return out;
  }
  std::size_t start = 0;
  while (may_replace()) {
    const std::size_t found = text.find(old_text, start);
    if (found == std::string_view::npos) break;
    append(text.substr(start, found - start));
    append(new_text);
    start = found + old_text.size();
    ++done;
  }
  append(text.substr(start));
  return out;
}

std::vector<std::size_t> slice_indexes(std::size_t length, std::optional<int64_t> start, std::optional<int64_t> stop,
                                       std::optional<int64_t> step) {
  const int64_t n = static_cast<int64_t>(length);
  const int64_t stride = step.value_or(1);
  if (stride == 0) throw JinjaError("slice step cannot be zero");
  // Python's PySlice_AdjustIndices.
  const auto adjust = [&](std::optional<int64_t> index, int64_t when_missing) {
    if (!index) return when_missing;
    int64_t i = *index;
    if (i < 0) {
      i += n;
      if (i < 0) i = stride < 0 ? -1 : 0;
    } else if (i >= n) {
      i = stride < 0 ? n - 1 : n;
    }
    return i;
  };
  const int64_t first = adjust(start, stride < 0 ? n - 1 : 0);
  const int64_t last = adjust(stop, stride < 0 ? -1 : n);
  std::vector<std::size_t> indexes;
  // Compared as distances so that a huge step cannot overflow.
  if (stride > 0) {
    for (int64_t i = first; i < last; i += stride) {
      indexes.push_back(static_cast<std::size_t>(i));
      if (stride >= last - i) break;
    }
  } else {
    for (int64_t i = first; i > last; i += stride) {
      indexes.push_back(static_cast<std::size_t>(i));
      if (stride <= last - i) break;
    }
  }
  return indexes;
}

}  // namespace parley::engine::jinja
