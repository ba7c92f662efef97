// PDF through poppler-cpp: the text layer in reading order, rebuilt into lines and paragraphs from word boxes;
// lines set in a clearly larger font than the body become headings (the largest size level 1, and so on);
// bullets and numbers become list items; running headers/footers repeated on most pages and bare page numbers are
// dropped. Encrypted PDFs and PDFs without a text layer (scans) are refused with a clear reason.
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>

#include <algorithm>
#include <limits>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "ingest/cpu_budget.h"
#include "ingest/loader.h"
#include "ingest/text_util.h"

namespace parley::ingest {
namespace {

constexpr int kMaxPages = 5000;
constexpr double kHeadingScale = 1.18;  // a line this much larger than the body font is a heading

struct Line {
  std::string text;
  double font_size = 0;
  double top = 0, bottom = 0;
  double left = 0;    // where the line starts
  double cursor = 0;  // where its last word starts
  int page = 0;
};

void silence_poppler() {
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr); });
}

std::string to_utf8(const poppler::ustring& text) {
  const auto bytes = text.to_utf8();
  return std::string(bytes.begin(), bytes.end());
}

// Words → lines: a new line starts when a word does not sit on the current line's baseline band.
std::vector<Line> page_lines(const poppler::page& page, int page_number) {
  std::vector<Line> lines;
  for (const auto& box : page.text_list(poppler::page::text_list_include_font)) {
    const std::string word = to_utf8(box.text());
    if (word.empty()) continue;
    const auto rect = box.bbox();
    const double size = box.has_font_info() ? box.get_font_size() : rect.height();
    const double middle = rect.top() + rect.height() / 2;
    const bool same_line = !lines.empty() && middle > lines.back().top && middle < lines.back().bottom &&
                           rect.left() >= lines.back().cursor;
    if (!same_line) {
      lines.push_back({word, size, rect.top(), rect.bottom(), rect.left(), rect.left(), page_number});
    } else {
      Line& line = lines.back();
      line.text += ' ';
      line.text += word;
      line.font_size = std::max(line.font_size, size);
      line.top = std::min(line.top, rect.top());
      line.bottom = std::max(line.bottom, rect.bottom());
    }
    lines.back().cursor = rect.left();
  }
  for (auto& line : lines) line.text = collapse_whitespace(line.text);
  return lines;
}

bool is_page_number(std::string_view text) {
  std::string_view t = text;
  if (t.starts_with("Page ") || t.starts_with("page ")) t.remove_prefix(5);
  return !t.empty() && t.size() <= 12 && t.find_first_not_of("0123456789 /of-") == std::string_view::npos;
}

// The font size of most of the text, by characters.
double body_font_size(const std::vector<Line>& lines) {
  std::map<long, std::size_t> characters_by_size;
  for (const auto& line : lines) characters_by_size[std::lround(line.font_size * 2)] += line.text.size();
  long best = 0;
  std::size_t most = 0;
  for (const auto& [size, count] : characters_by_size) {
    if (count > most) {
      most = count;
      best = size;
    }
  }
  return static_cast<double>(best) / 2;
}

std::string_view list_item_text(std::string_view text) {
  for (std::string_view bullet : {"\xE2\x80\xA2 ", "\xE2\x80\x93 ", "- ", "* ", "\xE2\x97\x8F ", "\xEF\x82\xB7 "}) {
    if (text.starts_with(bullet)) return text.substr(bullet.size());
  }
  std::size_t digits = 0;
  while (digits < text.size() && digits < 3 && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits > 0 && digits + 1 < text.size() && (text[digits] == '.' || text[digits] == ')') && text[digits + 1] == ' ') {
    return text.substr(digits + 2);
  }
  return {};
}

class PdfLoader final : public Loader {
 public:
  bool reads_bytes() const override { return true; }

  Result<ParsedDocument> load(std::string_view, const RawDocument& raw) const override {
    silence_poppler();
    if (raw.bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
      return make_error(ErrorCode::payload_too_large, "the PDF is too large");
    }
    std::unique_ptr<poppler::document> pdf(
        poppler::document::load_from_raw_data(raw.bytes.data(), static_cast<int>(raw.bytes.size())));
    if (!pdf) return make_error(ErrorCode::unprocessable, "the PDF is damaged or not a PDF");
    if (pdf->is_locked()) return make_error(ErrorCode::unprocessable, "the PDF is encrypted (password protected)");
    const int pages = pdf->pages();
    if (pages > kMaxPages) return make_error(ErrorCode::payload_too_large, "the PDF has more than 5000 pages");

    std::vector<Line> lines;
    for (int i = 0; i < pages; ++i) {
      PARLEY_TRY(check_cpu_budget());  // pages may share one costly content stream
      std::unique_ptr<poppler::page> page(pdf->create_page(i));
      if (!page) continue;
      auto page_text = page_lines(*page, i);
      lines.insert(lines.end(), std::make_move_iterator(page_text.begin()), std::make_move_iterator(page_text.end()));
    }
    if (lines.empty()) {
      return make_error(ErrorCode::unprocessable, "the PDF has no text layer (a scan?); text recognition is not supported");
    }
    drop_running_headers(lines, pages);
    ParsedDocument doc;
    build_blocks(lines, doc);
    doc.title = document_title(to_utf8(pdf->get_title()), doc, raw.uri);
    return doc;
  }

 private:
  // Lines that recur on at least half of the pages (3 or more pages) are running headers or footers.
  static void drop_running_headers(std::vector<Line>& lines, int pages) {
    std::unordered_map<std::string, std::size_t> pages_with_line;
    if (pages >= 3) {
      std::unordered_map<std::string, int> last_page;
      for (const auto& line : lines) {
        auto [it, inserted] = last_page.emplace(line.text, line.page);
        if (inserted || it->second != line.page) ++pages_with_line[line.text];
        it->second = line.page;
      }
    }
    std::erase_if(lines, [&](const Line& line) {
      return is_page_number(line.text) || (pages >= 3 && pages_with_line[line.text] * 2 >= static_cast<std::size_t>(pages));
    });
  }

  static void build_blocks(const std::vector<Line>& lines, ParsedDocument& doc) {
    const double body = body_font_size(lines);
    // Heading sizes, largest first, become levels 1, 2, 3...
    std::vector<long> heading_sizes;
    for (const auto& line : lines) {
      if (line.font_size >= body * kHeadingScale) heading_sizes.push_back(std::lround(line.font_size * 2));
    }
    std::sort(heading_sizes.begin(), heading_sizes.end(), std::greater<>());
    heading_sizes.erase(std::unique(heading_sizes.begin(), heading_sizes.end()), heading_sizes.end());

    std::string paragraph;
    const Line* previous = nullptr;
    const auto flush = [&] {
      if (!paragraph.empty()) doc.blocks.push_back({BlockKind::paragraph, 0, collapse_whitespace(paragraph)});
      paragraph.clear();
    };
    for (const auto& line : lines) {
      const long size_key = std::lround(line.font_size * 2);
      const auto level = std::find(heading_sizes.begin(), heading_sizes.end(), size_key);
      if (level != heading_sizes.end() && line.text.size() <= 200) {
        flush();
        const int heading_level = std::min(6, static_cast<int>(level - heading_sizes.begin()) + 1);
        // A heading wrapped over two lines continues the previous heading block.
        if (previous != nullptr && !doc.blocks.empty() && doc.blocks.back().kind == BlockKind::heading &&
            std::lround(previous->font_size * 2) == size_key && previous->page == line.page) {
          doc.blocks.back().text += " " + line.text;
        } else {
          doc.blocks.push_back({BlockKind::heading, heading_level, line.text});
        }
        previous = &line;
        continue;
      }
      if (const auto item = list_item_text(line.text); !item.empty()) {
        flush();
        doc.blocks.push_back({BlockKind::list_item, 1, std::string(item)});
        previous = &line;
        continue;
      }
      // A vertical gap larger than a line's height, or a new page, ends a paragraph.
      const double height = line.bottom - line.top;
      const bool gap = previous == nullptr || previous->page != line.page || line.top - previous->bottom > height * 0.9;
      const bool continues_item = !gap && !doc.blocks.empty() && doc.blocks.back().kind == BlockKind::list_item &&
                                  paragraph.empty() && previous != nullptr && line.left > previous->left;
      if (continues_item) {
        doc.blocks.back().text += " " + line.text;
      } else {
        if (gap) flush();
        if (!paragraph.empty()) paragraph += ' ';
        paragraph += line.text;
      }
      previous = &line;
    }
    flush();
  }
};

}  // namespace

const Loader& pdf_loader() {
  static const PdfLoader loader;
  return loader;
}

}  // namespace parley::ingest
