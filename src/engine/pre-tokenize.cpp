#include "engine/pre-tokenize.h"

#include <algorithm>
#include <cstdint>

#include <utf8proc.h>

#include "common/utf8.h"

namespace parley::engine {
namespace {

// A code point with the classes the split patterns test.
struct CodePoint {
  char32_t value = 0;
  std::size_t offset = 0;  // byte offset in the text
  bool letter = false;
  bool number = false;
  bool space = false;
  bool punctuation = false;
};

// Unicode's White_Space property: what \s matches.
bool is_white_space(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

std::vector<CodePoint> decode(std::string_view text) {
  std::vector<CodePoint> cps;
  cps.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    CodePoint cp;
    cp.offset = pos;
    cp.value = utf8_decode(text, pos);
    switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp.value))) {
      case UTF8PROC_CATEGORY_LU:
      case UTF8PROC_CATEGORY_LL:
      case UTF8PROC_CATEGORY_LT:
      case UTF8PROC_CATEGORY_LM:
      case UTF8PROC_CATEGORY_LO: cp.letter = true; break;
      case UTF8PROC_CATEGORY_ND:
      case UTF8PROC_CATEGORY_NL:
      case UTF8PROC_CATEGORY_NO: cp.number = true; break;
      case UTF8PROC_CATEGORY_PC:
      case UTF8PROC_CATEGORY_PD:
      case UTF8PROC_CATEGORY_PS:
      case UTF8PROC_CATEGORY_PE:
      case UTF8PROC_CATEGORY_PI:
      case UTF8PROC_CATEGORY_PF:
      case UTF8PROC_CATEGORY_PO: cp.punctuation = true; break;
      default: break;
    }
    cp.space = is_white_space(cp.value);
    cps.push_back(cp);
  }
  return cps;
}

// One alternation of a split pattern: the length (in code points) of its match at `pos` within a segment ending at
// `end`, or 0. The segment end is the end of the text for lookahead, as when the pattern runs on the segment alone.
using Matcher = std::size_t (*)(const std::vector<CodePoint>& cps, std::size_t pos, std::size_t end);

bool is_other(const CodePoint& cp) { return !cp.space && !cp.letter && !cp.number; }  // [^\s\p{L}\p{N}]
bool is_newline(const CodePoint& cp) { return cp.value == '\r' || cp.value == '\n'; }

char32_t ascii_lower(char32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

// 's|'t|'re|'ve|'m|'ll|'d, optionally ignoring case.
std::size_t match_contraction(const std::vector<CodePoint>& cps, std::size_t pos, std::size_t end,
                              bool ignore_case) {
  if (cps[pos].value != '\'' || pos + 1 >= end) return 0;
  const auto fold = [&](std::size_t i) { return ignore_case ? ascii_lower(cps[i].value) : cps[i].value; };
  const char32_t next = fold(pos + 1);
  if (next == 's' || next == 't' || next == 'm' || next == 'd') return 2;
  if (pos + 2 >= end) return 0;
  const char32_t after = fold(pos + 2);
  if ((next == 'r' && after == 'e') || (next == 'v' && after == 'e') || (next == 'l' && after == 'l')) return 3;
  return 0;
}

template <typename Predicate>
std::size_t run_length(const std::vector<CodePoint>& cps, std::size_t pos, std::size_t end, Predicate predicate) {
  std::size_t i = pos;
  while (i < end && predicate(cps[i])) ++i;
  return i - pos;
}

// \s+(?!\S)|\s+ : a whitespace run leaves its last character to the next piece when a non-space follows.
std::size_t match_trailing_whitespace(const std::vector<CodePoint>& cps, std::size_t pos, std::size_t end) {
  const std::size_t spaces = run_length(cps, pos, end, [](const CodePoint& c) { return c.space; });
  if (spaces > 1 && pos + spaces < end) return spaces - 1;
  return spaces;
}

std::size_t match_gpt2(const std::vector<CodePoint>& cps, std::size_t pos, std::size_t end) {
  if (const std::size_t n = match_contraction(cps, pos, end, false)) return n;
  // ' ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+'
  const std::size_t start = cps[pos].value == ' ' && pos + 1 < end ? pos + 1 : pos;
  const CodePoint& first = cps[start];
  if (first.letter) return start - pos + run_length(cps, start, end, [](const CodePoint& c) { return c.letter; });
  if (first.number) return start - pos + run_length(cps, start, end, [](const CodePoint& c) { return c.number; });
  if (is_other(first)) return start - pos + run_length(cps, start, end, is_other);
  return match_trailing_whitespace(cps, pos, end);
}

template <std::size_t MaxDigits>
std::size_t match_llama3(const std::vector<CodePoint>& cps, std::size_t pos, std::size_t end) {
  if (const std::size_t n = match_contraction(cps, pos, end, true)) return n;
  const CodePoint& cp = cps[pos];
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (!is_newline(cp) && !cp.number && (cp.letter || (pos + 1 < end && cps[pos + 1].letter))) {
    return 1 + run_length(cps, pos + 1, end, [](const CodePoint& c) { return c.letter; });
  }
  // \p{N}{1,MaxDigits}
  if (cp.number) {
    return run_length(cps, pos, std::min(end, pos + MaxDigits), [](const CodePoint& c) { return c.number; });
  }
  // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
  const std::size_t start = cp.value == ' ' && pos + 1 < end ? pos + 1 : pos;
  if (is_other(cps[start])) {
    std::size_t i = start + run_length(cps, start, end, is_other);
    i += run_length(cps, i, end, is_newline);
    return i - pos;
  }
  // \s*[\r\n]+ : whitespace up to and including the last newline of the run.
  const std::size_t spaces = run_length(cps, pos, end, [](const CodePoint& c) { return c.space; });
  for (std::size_t i = pos + spaces; i > pos; --i) {
    if (is_newline(cps[i - 1])) return i - pos;
  }
  return match_trailing_whitespace(cps, pos, end);
}

std::size_t match_number(const std::vector<CodePoint>& cps, std::size_t pos, std::size_t) {
  return cps[pos].number ? 1 : 0;
}

std::size_t match_number_run(const std::vector<CodePoint>& cps, std::size_t pos, std::size_t end) {
  return run_length(cps, pos, end, [](const CodePoint& c) { return c.number; });
}

bool is_ascii_digit(const CodePoint& c) { return c.value >= '0' && c.value <= '9'; }

std::size_t match_three_ascii_digits(const std::vector<CodePoint>& cps, std::size_t pos, std::size_t end) {
  return pos + 3 <= end && is_ascii_digit(cps[pos]) && is_ascii_digit(cps[pos + 1]) && is_ascii_digit(cps[pos + 2])
             ? 3
             : 0;
}

// [\p{P}\$\+<=>\^~\|]+
std::size_t match_punctuation_run(const std::vector<CodePoint>& cps, std::size_t pos, std::size_t end) {
  return run_length(cps, pos, end, [](const CodePoint& c) {
    return c.punctuation || c.value == '$' || c.value == '+' || c.value == '<' || c.value == '=' || c.value == '>' ||
           c.value == '^' || c.value == '~' || c.value == '|';
  });
}

struct Segment {
  std::size_t begin;
  std::size_t end;
};

// Runs one pattern over every segment: its matches and the unmatched gaps between them become the new segments.
std::vector<Segment> split(const std::vector<CodePoint>& cps, const std::vector<Segment>& segments, Matcher match) {
  std::vector<Segment> out;
  out.reserve(segments.size());
  for (const Segment& segment : segments) {
    std::size_t gap = segment.begin;
    std::size_t pos = segment.begin;
    while (pos < segment.end) {
      const std::size_t length = match(cps, pos, segment.end);
      if (length == 0) {
        ++pos;
        continue;
      }
      if (gap < pos) out.push_back({gap, pos});
      out.push_back({pos, pos + length});
      pos += length;
      gap = pos;
    }
    if (gap < segment.end) out.push_back({gap, segment.end});
  }
  return out;
}

}  // namespace

std::optional<PreTokenizer> pre_tokenizer_from_name(std::string_view name) {
  static constexpr std::pair<std::string_view, PreTokenizer> kNames[] = {
      {"", PreTokenizer::default_bpe},
      {"default", PreTokenizer::default_bpe},
      {"gpt-2", PreTokenizer::gpt2},
      {"gpt2", PreTokenizer::gpt2},
      {"phi-2", PreTokenizer::gpt2},
      {"mpt", PreTokenizer::gpt2},
      {"olmo", PreTokenizer::gpt2},
      {"jina-es", PreTokenizer::gpt2},
      {"jina-de", PreTokenizer::gpt2},
      {"jina-v2-es", PreTokenizer::gpt2},
      {"jina-v2-de", PreTokenizer::gpt2},
      {"roberta-bpe", PreTokenizer::gpt2},
      {"llama3", PreTokenizer::llama3},
      {"llama-v3", PreTokenizer::llama3},
      {"llama-bpe", PreTokenizer::llama3},
      {"falcon3", PreTokenizer::llama3},
      {"qwen2", PreTokenizer::qwen2},
      {"deepseek-r1-qwen", PreTokenizer::qwen2},
      {"smollm", PreTokenizer::starcoder},
      {"starcoder", PreTokenizer::starcoder},
      {"refact", PreTokenizer::starcoder},
      {"command-r", PreTokenizer::starcoder},
  };
  for (const auto& [known, kind] : kNames) {
    if (known == name) return kind;
  }
  return std::nullopt;
}

std::vector<std::string_view> pre_tokenize(PreTokenizer kind, std::string_view text) {
  const std::vector<CodePoint> cps = decode(text);
  std::vector<Segment> segments = {{0, cps.size()}};
  if (cps.empty()) return {};
  switch (kind) {
    case PreTokenizer::default_bpe:
      segments = split(cps, segments, match_punctuation_run);
      segments = split(cps, segments, match_gpt2);
      segments = split(cps, segments, match_number_run);
      segments = split(cps, segments, match_three_ascii_digits);
      break;
    case PreTokenizer::gpt2: segments = split(cps, segments, match_gpt2); break;
    case PreTokenizer::llama3: segments = split(cps, segments, match_llama3<3>); break;
    case PreTokenizer::qwen2: segments = split(cps, segments, match_llama3<1>); break;
    case PreTokenizer::starcoder:
      segments = split(cps, segments, match_number);
      segments = split(cps, segments, match_gpt2);
      break;
  }
  std::vector<std::string_view> pieces;
  pieces.reserve(segments.size());
  for (const Segment& segment : segments) {
    const std::size_t begin = cps[segment.begin].offset;
    const std::size_t end = segment.end < cps.size() ? cps[segment.end].offset : text.size();
    pieces.push_back(text.substr(begin, end - begin));
  }
  return pieces;
}

}  // namespace parley::engine
