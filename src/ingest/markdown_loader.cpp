// Markdown through md4c (CommonMark + GitHub tables): headings, paragraphs, nested list items, table rows (cells
// joined with " | "), code blocks and quotes become blocks; inline markup and raw HTML are dropped, link and image
// texts kept. A YAML front-matter block is skipped, and its `title:` used as the title.
#include <md4c.h>

#include <vector>

#include "ingest/loader.h"
#include "ingest/text_util.h"

namespace parley::ingest {
namespace {

struct MarkdownState {
  ParsedDocument* doc = nullptr;
  std::string text;             // text of the block being read
  std::vector<MD_BLOCKTYPE> open;  // open blocks, innermost last
  int list_depth = 0;
  int heading_level = 0;
  bool in_code = false;
  std::vector<std::string> row_cells;

  bool inside(MD_BLOCKTYPE type) const {
    for (auto t : open) {
      if (t == type) return true;
    }
    return false;
  }

  void emit(BlockKind kind, int level) {
    std::string collapsed = kind == BlockKind::code ? text : collapse_whitespace(text);
    while (!collapsed.empty() && (collapsed.back() == '\n' || collapsed.back() == ' ')) collapsed.pop_back();
    text.clear();
    if (!collapsed.empty()) doc->blocks.push_back({kind, level, std::move(collapsed)});
  }

  // Text in a list item that precedes a nested block belongs to the item itself.
  void flush_list_item_text() {
    if (!text.empty() && !open.empty() && open.back() == MD_BLOCK_LI) emit(BlockKind::list_item, list_depth);
  }
};

int enter_block(MD_BLOCKTYPE type, void* detail, void* userdata) {
  auto& state = *static_cast<MarkdownState*>(userdata);
  switch (type) {
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      state.flush_list_item_text();
      ++state.list_depth;
      break;
    case MD_BLOCK_P:
    case MD_BLOCK_QUOTE:
    case MD_BLOCK_TABLE:
    case MD_BLOCK_CODE:
      state.flush_list_item_text();
      if (type == MD_BLOCK_CODE) state.in_code = true;
      break;
    case MD_BLOCK_H:
      state.heading_level = static_cast<int>(static_cast<MD_BLOCK_H_DETAIL*>(detail)->level);
      break;
    case MD_BLOCK_TR:
      state.row_cells.clear();
      break;
    default:
      break;
  }
  state.open.push_back(type);
  return 0;
}

int leave_block(MD_BLOCKTYPE type, void* /*detail*/, void* userdata) {
  auto& state = *static_cast<MarkdownState*>(userdata);
  if (!state.open.empty()) state.open.pop_back();
  switch (type) {
    case MD_BLOCK_H:
      state.emit(BlockKind::heading, state.heading_level);
      break;
    case MD_BLOCK_P:
      if (state.inside(MD_BLOCK_LI)) {
        state.emit(BlockKind::list_item, state.list_depth);
      } else {
        state.emit(state.inside(MD_BLOCK_QUOTE) ? BlockKind::quote : BlockKind::paragraph, 0);
      }
      break;
    case MD_BLOCK_LI:
      state.emit(BlockKind::list_item, state.list_depth);
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      --state.list_depth;
      break;
    case MD_BLOCK_CODE:
      state.emit(BlockKind::code, 0);
      state.in_code = false;
      break;
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      state.row_cells.push_back(collapse_whitespace(state.text));
      state.text.clear();
      break;
    case MD_BLOCK_TR: {
      std::string row;
      for (const auto& cell : state.row_cells) {
        if (!row.empty()) row += " | ";
        row += cell;
      }
      state.text = row;
      state.emit(BlockKind::table_row, 0);
      break;
    }
    default:
      break;
  }
  return 0;
}

int enter_span(MD_SPANTYPE, void*, void*) { return 0; }
int leave_span(MD_SPANTYPE, void*, void*) { return 0; }

int on_text(MD_TEXTTYPE type, const MD_CHAR* data, MD_SIZE size, void* userdata) {
  auto& state = *static_cast<MarkdownState*>(userdata);
  const std::string_view text(data, size);
  switch (type) {
    case MD_TEXT_HTML:
      break;  // raw inline HTML is markup, not content
    case MD_TEXT_ENTITY:
      state.text += decode_html_entity(text);
      break;
    case MD_TEXT_NULLCHAR:
      state.text += "\xEF\xBF\xBD";
      break;
    case MD_TEXT_BR:
    case MD_TEXT_SOFTBR:
      state.text += state.in_code ? "\n" : " ";
      break;
    default:
      state.text.append(text);
  }
  return 0;
}

// Removes a leading "---" YAML block; returns its title, if any.
std::string strip_front_matter(std::string_view& text) {
  if (!text.starts_with("---\n") && !text.starts_with("---\r\n")) return {};
  const auto end = text.find("\n---", 3);
  if (end == std::string_view::npos) return {};
  const std::string_view header = text.substr(0, end);
  std::string title;
  const auto key = header.find("\ntitle:");
  if (key != std::string_view::npos) {
    const auto value_start = key + 7;
    const auto line_end = header.find('\n', value_start);
    title = collapse_whitespace(header.substr(value_start, line_end == std::string_view::npos ? std::string_view::npos
                                                                                              : line_end - value_start));
    if (title.size() >= 2 && (title.front() == '"' || title.front() == '\'') && title.back() == title.front()) {
      title = title.substr(1, title.size() - 2);
    }
  }
  const auto after = text.find('\n', end + 4);
  text.remove_prefix(after == std::string_view::npos ? text.size() : after + 1);
  return title;
}

class MarkdownLoader final : public Loader {
 public:
  Result<ParsedDocument> load(std::string_view text, const RawDocument& raw) const override {
    ParsedDocument doc;
    const std::string front_title = strip_front_matter(text);
    MarkdownState state;
    state.doc = &doc;
    MD_PARSER parser{};
    parser.flags = MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_TASKLISTS | MD_FLAG_PERMISSIVEAUTOLINKS |
                   MD_FLAG_NOHTMLBLOCKS;
    parser.enter_block = enter_block;
    parser.leave_block = leave_block;
    parser.enter_span = enter_span;
    parser.leave_span = leave_span;
    parser.text = on_text;
    if (md_parse(text.data(), static_cast<MD_SIZE>(text.size()), &parser, &state) != 0) {
      return make_error(ErrorCode::unprocessable, "the Markdown could not be parsed");
    }
    if (!front_title.empty()) {
      doc.title = front_title;
    } else {
      for (const auto& block : doc.blocks) {
        if (block.kind == BlockKind::heading && block.level == 1) {
          doc.title = block.text;
          break;
        }
      }
    }
    if (doc.title.empty()) doc.title = title_from_uri(raw.uri);
    return doc;
  }
};

}  // namespace

const Loader& markdown_loader() {
  static const MarkdownLoader loader;
  return loader;
}

}  // namespace parley::ingest
