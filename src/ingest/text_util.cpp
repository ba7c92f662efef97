#include "ingest/text_util.h"

#include <cctype>

namespace parley::ingest {

namespace {

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

std::string collapse_whitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size();) {
    const bool nbsp = text[i] == '\xC2' && i + 1 < text.size() && text[i + 1] == '\xA0';
    if (is_ascii_space(text[i]) || nbsp) {
      i += nbsp ? 2 : 1;
      pending_space = !out.empty();
      continue;
    }
    // The run up to the next space (or no-break space) is copied whole.
    std::size_t end = i + 1;
    while (end < text.size() && !is_ascii_space(text[end]) && text[end] != '\xC2') ++end;
    if (pending_space) out += ' ';
    pending_space = false;
    out.append(text.substr(i, end - i));
    i = end;
  }
  return out;
}

std::string title_from_uri(std::string_view uri) {
  uri = uri.substr(0, uri.find_first_of("?#"));
  while (!uri.empty() && uri.back() == '/') uri.remove_suffix(1);
  const auto slash = uri.find_last_of('/');
  if (slash != std::string_view::npos) uri.remove_prefix(slash + 1);
  const auto dot = uri.find_last_of('.');
  if (dot != std::string_view::npos && dot > 0) uri = uri.substr(0, dot);
  std::string title(uri);
  for (char& c : title) {
    if (c == '-' || c == '_') c = ' ';
  }
  return collapse_whitespace(title);
}

namespace {

bool names_no_document(std::string_view title) {
  std::string lowered(title);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lowered.size() < 2) return true;
  for (const char* placeholder : {"about:blank", "untitled", "untitled document", "document", "no title", "title", "(anonymous)"}) {
    if (lowered == placeholder) return true;
  }
  for (const char* prefix : {"about:", "http://", "https://", "file:", "data:", "blob:", "microsoft word - ", "microsoft powerpoint - ",
                             "/", "c:\\", "document1", "untitled-"}) {
    if (lowered.starts_with(prefix)) return true;
  }
  for (const char* suffix : {".pdf", ".doc", ".docx", ".odt", ".rtf", ".txt", ".html", ".htm", ".tmp"}) {
    if (lowered.ends_with(suffix)) return true;
  }
  return false;
}

}  // namespace

std::string document_title(std::string_view metadata_title, const ParsedDocument& document, std::string_view uri) {
  const std::string metadata = collapse_whitespace(metadata_title);
  if (!metadata.empty() && !names_no_document(metadata)) return metadata;
  for (const auto& block : document.blocks) {
    if (block.kind == BlockKind::heading && !block.text.empty()) return block.text;
  }
  return title_from_uri(uri);
}

}  // namespace parley::ingest

#include <charconv>
#include <map>

#include "common/utf8.h"

namespace parley::ingest {

std::string decode_html_entity(std::string_view entity) {
  if (entity.size() < 3 || entity.front() != '&' || entity.back() != ';') return std::string(entity);
  const std::string_view body = entity.substr(1, entity.size() - 2);
  std::string out;
  if (body.front() == '#') {
    const bool hex = body.size() > 1 && (body[1] == 'x' || body[1] == 'X');
    const std::string_view digits = body.substr(hex ? 2 : 1);
    std::uint32_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, hex ? 16 : 10);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::string(entity);
    const bool valid = value > 0 && value <= 0x10FFFF && !(value >= 0xD800 && value <= 0xDFFF);
    utf8_append(out, valid ? static_cast<char32_t>(value) : char32_t{0xFFFD});
    return out;
  }
  static const std::map<std::string_view, char32_t, std::less<>> named = {
      {"amp", U'&'},     {"lt", U'<'},      {"gt", U'>'},      {"quot", U'"'},    {"apos", U'\''},
      {"nbsp", 0xA0},    {"copy", 0xA9},    {"reg", 0xAE},     {"trade", 0x2122}, {"hellip", 0x2026},
      {"mdash", 0x2014}, {"ndash", 0x2013}, {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C},
      {"rdquo", 0x201D}, {"euro", 0x20AC},  {"pound", 0xA3},   {"yen", 0xA5},     {"times", 0xD7},
      {"deg", 0xB0},     {"middot", 0xB7},  {"bull", 0x2022},  {"laquo", 0xAB},   {"raquo", 0xBB},
  };
  const auto it = named.find(body);
  if (it == named.end()) return std::string(entity);
  utf8_append(out, it->second);
  return out;
}

}  // namespace parley::ingest
