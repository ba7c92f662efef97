// Plain text: paragraphs separated by blank lines; "- ", "* ", "• " and "1." lines are list items; a line
// underlined with === or --- is a heading, and so is a short line followed by a blank line and then more text.
#include <cctype>
#include <vector>

#include "ingest/loader.h"
#include "ingest/text_util.h"

namespace parley::ingest {
namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t") == std::string_view::npos; }

bool is_underline(std::string_view line, char mark) {
  const auto trimmed = collapse_whitespace(line);
  return trimmed.size() >= 3 && trimmed.find_first_not_of(mark) == std::string::npos;
}

// The text of a list item line without its marker, or empty when the line is not a list item.
std::string_view list_item_text(std::string_view line) {
  const auto start = line.find_first_not_of(" \t");
  if (start == std::string_view::npos) return {};
  std::string_view rest = line.substr(start);
  for (std::string_view marker : {"- ", "* ", "+ ", "\xE2\x80\xA2 "}) {
    if (rest.starts_with(marker)) return rest.substr(marker.size());
  }
  std::size_t digits = 0;
  while (digits < rest.size() && digits < 3 && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
  if (digits > 0 && digits + 1 < rest.size() && (rest[digits] == '.' || rest[digits] == ')') && rest[digits + 1] == ' ') {
    return rest.substr(digits + 2);
  }
  return {};
}

bool looks_like_heading(std::string_view line) {
  const std::string text = collapse_whitespace(line);
  if (text.empty() || text.size() > 80) return false;
  const char last = text.back();
  return last != '.' && last != ',' && last != ';' && last != ':' && last != '!' && last != '?';
}

class PlainTextLoader final : public Loader {
 public:
  Result<ParsedDocument> load(std::string_view text, const RawDocument& raw) const override {
    ParsedDocument doc;
    const auto lines = split_lines(text);
    std::string paragraph;
    const auto flush = [&]() {
      std::string collapsed = collapse_whitespace(paragraph);
      if (!collapsed.empty()) doc.blocks.push_back({BlockKind::paragraph, 0, std::move(collapsed)});
      paragraph.clear();
    };
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const std::string_view line = lines[i];
      if (is_blank(line)) {
        flush();
        continue;
      }
      const bool underlined = i + 1 < lines.size() && (is_underline(lines[i + 1], '=') || is_underline(lines[i + 1], '-'));
      if (underlined && paragraph.empty()) {
        doc.blocks.push_back({BlockKind::heading, is_underline(lines[i + 1], '=') ? 1 : 2, collapse_whitespace(line)});
        ++i;
        continue;
      }
      if (const auto item = list_item_text(line); !item.empty()) {
        flush();
        doc.blocks.push_back({BlockKind::list_item, 1, collapse_whitespace(item)});
        continue;
      }
      const bool isolated = paragraph.empty() && i + 2 < lines.size() && is_blank(lines[i + 1]) && !is_blank(lines[i + 2]);
      if (isolated && looks_like_heading(line)) {
        doc.blocks.push_back({BlockKind::heading, doc.blocks.empty() ? 1 : 2, collapse_whitespace(line)});
        continue;
      }
      paragraph += line;
      paragraph += '\n';
    }
    flush();
    doc.title = !doc.blocks.empty() && doc.blocks.front().kind == BlockKind::heading ? doc.blocks.front().text
                                                                                      : title_from_uri(raw.uri);
    return doc;
  }
};

}  // namespace

const Loader& plain_text_loader() {
  static const PlainTextLoader loader;
  return loader;
}

}  // namespace parley::ingest
