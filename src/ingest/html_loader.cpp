// HTML through gumbo: the main content (the <main> or largest <article> element, else <body>) without navigation,
// headers, footers, asides, forms, scripts, styles, hidden elements and cookie banners; headings, paragraphs,
// list items, table rows, code and quotes become blocks. The tree is walked with an explicit stack, so deep
// nesting cannot overflow the call stack; documents nested beyond what gumbo handles safely are read by a plain
// tag-stripping fallback instead of being refused.
#include <gumbo.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <vector>

#include "ingest/loader.h"
#include "ingest/text_util.h"

namespace parley::ingest {
namespace {

// Above this estimated nesting depth gumbo's recursive tree teardown could exhaust the stack.
constexpr int kMaxGumboDepth = 2000;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_void_element(std::string_view name) {
  static constexpr std::array<std::string_view, 14> kVoid = {"area", "base", "br", "col", "embed", "hr", "img",
                                                              "input", "link", "meta", "param", "source", "track", "wbr"};
  return std::find(kVoid.begin(), kVoid.end(), name) != kVoid.end();
}

// Upper bound of element nesting from a linear scan: open non-void tags minus close tags.
int estimated_depth(std::string_view html) {
  int depth = 0, deepest = 0;
  std::size_t pos = 0;
  while ((pos = html.find('<', pos)) != std::string_view::npos) {
    ++pos;
    if (pos >= html.size()) break;
    const bool closing = html[pos] == '/';
    std::size_t name_start = closing ? pos + 1 : pos;
    std::size_t name_end = name_start;
    while (name_end < html.size() && std::isalnum(static_cast<unsigned char>(html[name_end]))) ++name_end;
    if (name_end == name_start) continue;
    const std::string name = lower(html.substr(name_start, name_end - name_start));
    if (closing) {
      depth = std::max(0, depth - 1);
    } else if (!is_void_element(name)) {
      deepest = std::max(deepest, ++depth);
    }
  }
  return deepest;
}

bool has_class_or_id_token(const GumboElement& element, std::initializer_list<std::string_view> tokens) {
  for (const char* attribute : {"class", "id"}) {
    const GumboAttribute* attr = gumbo_get_attribute(&element.attributes, attribute);
    if (attr == nullptr) continue;
    const std::string value = lower(attr->value);
    for (auto token : tokens) {
      if (value.find(token) != std::string::npos) return true;
    }
  }
  return false;
}

bool is_hidden(const GumboElement& element) {
  if (gumbo_get_attribute(&element.attributes, "hidden") != nullptr) return true;
  if (const auto* aria = gumbo_get_attribute(&element.attributes, "aria-hidden"); aria && lower(aria->value) == "true") {
    return true;
  }
  if (const auto* style = gumbo_get_attribute(&element.attributes, "style")) {
    std::string value = lower(style->value);
    value.erase(std::remove(value.begin(), value.end(), ' '), value.end());
    if (value.find("display:none") != std::string::npos || value.find("visibility:hidden") != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Elements that never hold main content, wherever they are.
bool is_boilerplate(const GumboElement& element, bool inside_main) {
  switch (element.tag) {
    case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE: case GUMBO_TAG_NOSCRIPT: case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_NAV: case GUMBO_TAG_ASIDE: case GUMBO_TAG_FORM: case GUMBO_TAG_BUTTON: case GUMBO_TAG_SELECT:
    case GUMBO_TAG_TEXTAREA: case GUMBO_TAG_IFRAME: case GUMBO_TAG_SVG: case GUMBO_TAG_CANVAS:
    case GUMBO_TAG_OBJECT: case GUMBO_TAG_EMBED: case GUMBO_TAG_HEAD: case GUMBO_TAG_MENU:
      return true;
    case GUMBO_TAG_HEADER: case GUMBO_TAG_FOOTER:
      return !inside_main;  // an article's own header holds its title
    default:
      break;
  }
  if (is_hidden(element)) return true;
  if (const auto* role = gumbo_get_attribute(&element.attributes, "role")) {
    const std::string value = lower(role->value);
    if (value == "navigation" || value == "banner" || value == "contentinfo" || value == "dialog" || value == "alertdialog") {
      return true;
    }
  }
  return has_class_or_id_token(element, {"cookie", "consent", "gdpr", "breadcrumb", "navbar", "sidebar",
                                         "skip-link", "share", "social", "newsletter", "popup", "modal"});
}

enum class Container { none, heading, list_item, table_row, table_cell, code, quote };

Container container_of(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3: case GUMBO_TAG_H4: case GUMBO_TAG_H5: case GUMBO_TAG_H6:
      return Container::heading;
    case GUMBO_TAG_LI: case GUMBO_TAG_DT: case GUMBO_TAG_DD: return Container::list_item;
    case GUMBO_TAG_TR: return Container::table_row;
    case GUMBO_TAG_TD: case GUMBO_TAG_TH: return Container::table_cell;
    case GUMBO_TAG_PRE: return Container::code;
    case GUMBO_TAG_BLOCKQUOTE: return Container::quote;
    default: return Container::none;
  }
}

bool is_block(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_SECTION: case GUMBO_TAG_ARTICLE: case GUMBO_TAG_MAIN:
    case GUMBO_TAG_UL: case GUMBO_TAG_OL: case GUMBO_TAG_DL: case GUMBO_TAG_TABLE: case GUMBO_TAG_TBODY:
    case GUMBO_TAG_THEAD: case GUMBO_TAG_TFOOT: case GUMBO_TAG_FIGURE: case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_HR: case GUMBO_TAG_ADDRESS: case GUMBO_TAG_DETAILS: case GUMBO_TAG_SUMMARY: case GUMBO_TAG_BODY:
    case GUMBO_TAG_HEADER: case GUMBO_TAG_FOOTER: case GUMBO_TAG_CAPTION:
      return true;
    default:
      return container_of(tag) != Container::none;
  }
}

int heading_level(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_H1: return 1;
    case GUMBO_TAG_H2: return 2;
    case GUMBO_TAG_H3: return 3;
    case GUMBO_TAG_H4: return 4;
    case GUMBO_TAG_H5: return 5;
    default: return 6;
  }
}

std::size_t text_length(const GumboNode* root) {
  std::size_t total = 0;
  std::vector<const GumboNode*> stack{root};
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (node->type == GUMBO_NODE_TEXT) total += std::string_view(node->v.text.text).size();
    if (node->type != GUMBO_NODE_ELEMENT) continue;
    if (node->v.element.tag == GUMBO_TAG_SCRIPT || node->v.element.tag == GUMBO_TAG_STYLE) continue;
    const GumboVector& children = node->v.element.children;
    for (unsigned i = 0; i < children.length; ++i) stack.push_back(static_cast<const GumboNode*>(children.data[i]));
  }
  return total;
}

std::string attribute_value(const GumboElement& element, const char* name) {
  const GumboAttribute* attr = gumbo_get_attribute(&element.attributes, name);
  return attr != nullptr ? attr->value : std::string();
}

bool has_token(const std::string& list, std::string_view token) {
  const std::string value = lower(list);
  std::size_t start = 0;
  while (start < value.size()) {
    std::size_t end = value.find_first_of(" ,\t\n", start);
    if (end == std::string::npos) end = value.size();
    if (std::string_view(value).substr(start, end - start) == token) return true;
    start = end + 1;
  }
  return false;
}

// Links, canonical URL, robots directives and language of the page, for the crawler.
constexpr std::size_t kMaxLinksPerPage = 5000;
void read_page_links(const GumboElement& element, PageLinks& page) {
  switch (element.tag) {
    case GUMBO_TAG_A:
    case GUMBO_TAG_AREA: {
      const std::string href = attribute_value(element, "href");
      if (!href.empty() && page.hrefs.size() < kMaxLinksPerPage && !has_token(attribute_value(element, "rel"), "nofollow")) {
        page.hrefs.push_back(href);
      }
      break;
    }
    case GUMBO_TAG_LINK:
      if (page.canonical.empty() && has_token(attribute_value(element, "rel"), "canonical")) {
        page.canonical = attribute_value(element, "href");
      }
      break;
    case GUMBO_TAG_BASE:
      if (page.base_href.empty()) page.base_href = attribute_value(element, "href");
      break;
    case GUMBO_TAG_META: {
      const std::string name = lower(attribute_value(element, "name"));
      if (name == "robots" || name == "parleybot") {
        const std::string content = attribute_value(element, "content");
        page.noindex = page.noindex || has_token(content, "noindex") || has_token(content, "none");
        page.nofollow = page.nofollow || has_token(content, "nofollow") || has_token(content, "none");
      }
      break;
    }
    case GUMBO_TAG_HTML:
      if (page.language.empty()) page.language = lower(attribute_value(element, "lang"));
      break;
    default:
      break;
  }
}

// <main> (or role="main"), else the article with the most text, else <body>. The same walk reads the page's
// links (every element is visited once).
const GumboNode* find_content_root(const GumboNode* document, std::string& page_title, PageLinks& page) {
  const GumboNode* body = nullptr;
  const GumboNode* main = nullptr;
  const GumboNode* best_article = nullptr;
  std::size_t best_article_length = 0;
  std::vector<const GumboNode*> stack{document};
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_DOCUMENT) continue;
    const GumboVector& children = node->type == GUMBO_NODE_DOCUMENT ? node->v.document.children : node->v.element.children;
    if (node->type == GUMBO_NODE_ELEMENT) {
      const GumboElement& element = node->v.element;
      read_page_links(element, page);
      if (element.tag == GUMBO_TAG_TITLE && page_title.empty() && children.length > 0) {
        const auto* text = static_cast<const GumboNode*>(children.data[0]);
        if (text->type == GUMBO_NODE_TEXT) page_title = collapse_whitespace(text->v.text.text);
      }
      if (element.tag == GUMBO_TAG_BODY && body == nullptr) body = node;
      const auto* role = gumbo_get_attribute(&element.attributes, "role");
      if (main == nullptr && (element.tag == GUMBO_TAG_MAIN || (role != nullptr && lower(role->value) == "main"))) {
        main = node;
      }
      if (element.tag == GUMBO_TAG_ARTICLE) {
        const std::size_t length = text_length(node);
        if (length > best_article_length) {
          best_article = node;
          best_article_length = length;
        }
      }
    }
    for (unsigned i = children.length; i > 0; --i) stack.push_back(static_cast<const GumboNode*>(children.data[i - 1]));
  }
  if (main != nullptr) return main;
  if (best_article != nullptr) return best_article;
  return body != nullptr ? body : document;
}

class BlockCollector {
 public:
  explicit BlockCollector(ParsedDocument& doc) : doc_(doc) {}

  void walk(const GumboNode* root, bool root_is_main) {
    struct Frame {
      const GumboNode* node;
      unsigned next_child;
    };
    std::vector<Frame> stack{{root, 0}};
    enter(root);
    while (!stack.empty()) {
      Frame& frame = stack.back();
      const GumboNode* node = frame.node;
      const bool has_children = node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_DOCUMENT;
      const GumboVector* children = !has_children ? nullptr
                                    : node->type == GUMBO_NODE_DOCUMENT ? &node->v.document.children
                                                                        : &node->v.element.children;
      if (children == nullptr || frame.next_child >= children->length) {
        leave(node);
        stack.pop_back();
        continue;
      }
      const auto* child = static_cast<const GumboNode*>(children->data[frame.next_child++]);
      switch (child->type) {
        case GUMBO_NODE_TEXT:
        case GUMBO_NODE_WHITESPACE:
        case GUMBO_NODE_CDATA: {
          const std::string_view text = child->v.text.text;
          text_ += text;
          if (in_link_ > 0) link_bytes_ += text.size() - std::count(text.begin(), text.end(), ' ');
          break;
        }
        case GUMBO_NODE_ELEMENT:
          if (is_boilerplate(child->v.element, root_is_main)) break;
          if (child->v.element.tag == GUMBO_TAG_BR) {
            text_ += in_code_ > 0 ? "\n" : " ";
            break;
          }
          enter(child);
          stack.push_back({child, 0});
          break;
        default:
          break;
      }
    }
  }

 private:
  void enter(const GumboNode* node) {
    if (node->type != GUMBO_NODE_ELEMENT) return;
    const GumboTag tag = node->v.element.tag;
    if (tag == GUMBO_TAG_A) ++in_link_;
    if (!is_block(tag)) return;
    const Container container = container_of(tag);
    if (container != Container::table_cell) flush();
    if (container == Container::table_row) cells_.clear();
    if (container == Container::code) ++in_code_;
    if (container == Container::quote) ++in_quote_;
    if (tag == GUMBO_TAG_UL || tag == GUMBO_TAG_OL || tag == GUMBO_TAG_DL) ++list_depth_;
    if (container != Container::none) containers_.push_back({container, tag});
  }

  void leave(const GumboNode* node) {
    if (node->type != GUMBO_NODE_ELEMENT) return;
    const GumboTag tag = node->v.element.tag;
    if (tag == GUMBO_TAG_A && in_link_ > 0) --in_link_;
    if (!is_block(tag)) return;
    const Container container = container_of(tag);
    if (container == Container::table_cell) {
      take_cell();
    } else if (container == Container::table_row) {
      std::string row;
      for (const auto& cell : cells_) {
        if (cell.empty()) continue;
        if (!row.empty()) row += " | ";
        row += cell;
      }
      cells_.clear();
      const double share = row_bytes_ > 0 ? static_cast<double>(row_link_bytes_) / static_cast<double>(row_bytes_) : 0;
      row_bytes_ = row_link_bytes_ = 0;
      if (!row.empty()) doc_.blocks.push_back({BlockKind::table_row, 0, std::move(row), share});
    } else {
      flush();
    }
    if (container == Container::code) --in_code_;
    if (container == Container::quote) --in_quote_;
    if (tag == GUMBO_TAG_UL || tag == GUMBO_TAG_OL || tag == GUMBO_TAG_DL) --list_depth_;
    if (container != Container::none && !containers_.empty()) containers_.pop_back();
  }

  // Emits the pending text as a block whose kind comes from the innermost open container.
  void flush() {
    if (!containers_.empty() && containers_.back().kind == Container::table_row && !text_.empty()) {
      // Text directly inside a row (outside cells) is a cell of its own.
      take_cell();
      return;
    }
    std::string text = in_code_ > 0 ? text_ : collapse_whitespace(text_);
    const double share = link_share(text);
    text_.clear();
    link_bytes_ = 0;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    while (!text.empty() && (text.front() == '\n' || text.front() == ' ')) text.erase(0, 1);
    if (text.empty()) return;
    const Container kind = containers_.empty() ? Container::none : containers_.back().kind;
    switch (kind) {
      case Container::heading: doc_.blocks.push_back({BlockKind::heading, heading_level(containers_.back().tag), text, share}); break;
      case Container::list_item: doc_.blocks.push_back({BlockKind::list_item, std::max(1, list_depth_), text, share}); break;
      case Container::table_row: doc_.blocks.push_back({BlockKind::table_row, 0, text, share}); break;
      case Container::code: doc_.blocks.push_back({BlockKind::code, 0, text, share}); break;
      default: doc_.blocks.push_back({in_quote_ > 0 ? BlockKind::quote : BlockKind::paragraph, 0, text, share});
    }
  }

  void take_cell() {
    std::string cell = collapse_whitespace(text_);
    row_bytes_ += cell.size() - std::count(cell.begin(), cell.end(), ' ');
    row_link_bytes_ += std::min(link_bytes_, cell.size());
    cells_.push_back(std::move(cell));
    text_.clear();
    link_bytes_ = 0;
  }

  // Link text bytes (spaces left out) over the block's text bytes.
  double link_share(const std::string& text) const {
    const auto bytes = static_cast<double>(text.size() - std::count(text.begin(), text.end(), ' '));
    return bytes > 0 ? std::min(1.0, static_cast<double>(link_bytes_) / bytes) : 0;
  }

  struct OpenContainer {
    Container kind;
    GumboTag tag;
  };
  ParsedDocument& doc_;
  std::string text_;
  std::vector<std::string> cells_;
  std::vector<OpenContainer> containers_;
  int in_code_ = 0, in_quote_ = 0, list_depth_ = 0, in_link_ = 0;
  std::size_t link_bytes_ = 0;                   // of text_, inside <a>
  std::size_t row_bytes_ = 0, row_link_bytes_ = 0;  // of the cells of the current table row
};

// The fallback for pathological nesting: text between tags, scripts and styles removed, one paragraph per line.
void strip_tags(std::string_view html, ParsedDocument& doc) {
  std::string text;
  std::size_t pos = 0;
  while (pos < html.size()) {
    const std::size_t open = html.find('<', pos);
    text.append(html.substr(pos, open == std::string_view::npos ? std::string_view::npos : open - pos));
    if (open == std::string_view::npos) break;
    std::size_t close = html.find('>', open);
    if (close == std::string_view::npos) break;
    const std::string tag = lower(html.substr(open + 1, std::min<std::size_t>(8, close - open - 1)));
    for (std::string_view raw_text : {"script", "style"}) {
      if (tag.starts_with(raw_text)) {
        const std::size_t end = lower(html.substr(close)).find("</" + std::string(raw_text));
        close = end == std::string::npos ? html.size() - 1 : close + end;
        close = std::min(html.size() - 1, html.find('>', close));
      }
    }
    text += '\n';
    pos = close + 1;
  }
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = collapse_whitespace(text.substr(start, end - start));
    if (!line.empty()) doc.blocks.push_back({BlockKind::paragraph, 0, std::move(line)});
    start = end + 1;
  }
}

std::string strip_site_name(const std::string& title) {
  for (std::string_view separator : {" | ", " \xE2\x80\x93 ", " \xE2\x80\x94 ", " - "}) {
    const auto at = title.find(separator);
    if (at != std::string::npos && at > 0) return title.substr(0, at);
  }
  return title;
}

class HtmlLoader final : public Loader {
 public:
  Result<ParsedDocument> load(std::string_view text, const RawDocument& raw) const override {
    ParsedDocument doc;
    if (estimated_depth(text) > kMaxGumboDepth) {
      strip_tags(text, doc);
      doc.title = title_from_uri(raw.uri);
      doc.warnings.push_back("HTML nested too deeply for structure extraction; read as plain text");
      return doc;
    }
    GumboOptions options = kGumboDefaultOptions;
    options.max_errors = 16;
    std::unique_ptr<GumboOutput, void (*)(GumboOutput*)> output(
        gumbo_parse_with_options(&options, text.data(), text.size()),
        [](GumboOutput* out) { gumbo_destroy_output(&kGumboDefaultOptions, out); });
    if (!output) return make_error(ErrorCode::unprocessable, "the HTML could not be parsed");
    std::string page_title;
    const GumboNode* root = find_content_root(output->document, page_title, doc.page);
    const bool root_is_main = root->type == GUMBO_NODE_ELEMENT && root->v.element.tag != GUMBO_TAG_BODY;
    BlockCollector(doc).walk(root, root_is_main);
    for (const auto& block : doc.blocks) {
      if (block.kind == BlockKind::heading && block.level == 1) {
        doc.title = block.text;
        break;
      }
    }
    if (doc.title.empty()) doc.title = strip_site_name(page_title);
    if (doc.title.empty()) doc.title = title_from_uri(raw.uri);
    return doc;
  }
};

}  // namespace

const Loader& html_loader() {
  static const HtmlLoader loader;
  return loader;
}

}  // namespace parley::ingest
