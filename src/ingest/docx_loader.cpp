// DOCX (Office Open XML) through libzip + pugixml: paragraphs with their styles (Title/Heading N, or an outline
// level, become headings), numbered and bulleted paragraphs become list items with their level, tables become
// rows with cells joined by " | ". Only the known parts are read (word/document.xml, word/styles.xml,
// docProps/core.xml), through ZipArchive: limits on what is actually inflated refuse zip bombs whatever sizes they
// declare, and path-traversal entries are never touched.
#include <algorithm>
#include <cctype>
#include <pugixml.hpp>
#include <unordered_map>

#include "ingest/loader.h"
#include "ingest/text_util.h"
#include "ingest/zip_archive.h"

namespace parley::ingest {
namespace {

constexpr int kMaxTableNesting = 8;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Heading level of each paragraph style id (from the style's name "heading 2"/"Title", or its outline level).
std::unordered_map<std::string, int> heading_styles(const pugi::xml_document& styles) {
  std::unordered_map<std::string, int> levels;
  for (const auto& style : styles.child("w:styles").children("w:style")) {
    const std::string id = style.attribute("w:styleId").value();
    const std::string name = lower(style.child("w:name").attribute("w:val").value());
    int level = 0;
    if (name == "title") level = 1;
    if (name.starts_with("heading ") && name.size() == 9 && std::isdigit(static_cast<unsigned char>(name[8]))) {
      level = name[8] - '0';
    }
    if (const auto outline = style.child("w:pPr").child("w:outlineLvl"); outline) level = outline.attribute("w:val").as_int() + 1;
    if (level >= 1 && level <= 9) levels[id] = std::min(level, 6);
  }
  return levels;
}

// The visible text of a paragraph: w:t runs (deleted revisions are w:delText and drop out), tabs and breaks as
// spaces.
std::string paragraph_text(const pugi::xml_node& paragraph) {
  struct Collector : pugi::xml_tree_walker {
    std::string text;
    bool for_each(pugi::xml_node& node) override {
      const std::string_view name = node.name();
      if (name == "w:t") text += node.text().get();
      if (name == "w:tab" || name == "w:br" || name == "w:cr") text += ' ';
      return true;
    }
  } collector;
  pugi::xml_node node = paragraph;
  node.traverse(collector);
  return collapse_whitespace(collector.text);
}

class DocxReader {
 public:
  DocxReader(ParsedDocument& doc, std::unordered_map<std::string, int> headings)
      : doc_(doc), headings_(std::move(headings)) {}

  void body(const pugi::xml_node& node, int table_depth) {
    for (const auto& child : node.children()) {
      const std::string_view name = child.name();
      if (name == "w:p") paragraph(child);
      if (name == "w:tbl" && table_depth < kMaxTableNesting) table(child, table_depth + 1);
      if (name == "w:sdt") body(child.child("w:sdtContent"), table_depth);  // content controls hold paragraphs too
    }
  }

 private:
  void paragraph(const pugi::xml_node& p) {
    std::string text = paragraph_text(p);
    if (text.empty()) return;
    const auto properties = p.child("w:pPr");
    const std::string style = properties.child("w:pStyle").attribute("w:val").value();
    int level = 0;
    if (const auto it = headings_.find(style); it != headings_.end()) level = it->second;
    if (const auto outline = properties.child("w:outlineLvl"); outline) level = std::min(outline.attribute("w:val").as_int() + 1, 6);
    if (level > 0 && text.size() <= 300) {
      doc_.blocks.push_back({BlockKind::heading, level, std::move(text)});
    } else if (const auto numbering = properties.child("w:numPr"); numbering) {
      doc_.blocks.push_back({BlockKind::list_item, numbering.child("w:ilvl").attribute("w:val").as_int() + 1, std::move(text)});
    } else {
      doc_.blocks.push_back({BlockKind::paragraph, 0, std::move(text)});
    }
  }

  void table(const pugi::xml_node& tbl, int depth) {
    for (const auto& row : tbl.children("w:tr")) {
      std::string line;
      for (const auto& cell : row.children("w:tc")) {
        std::string cell_text;
        for (const auto& child : cell.children()) {
          if (std::string_view(child.name()) == "w:p") {
            const std::string text = paragraph_text(child);
            if (!text.empty()) cell_text += (cell_text.empty() ? "" : " ") + text;
          } else if (std::string_view(child.name()) == "w:tbl" && depth < kMaxTableNesting) {
            table(child, depth + 1);  // a nested table's rows follow as rows of their own
          }
        }
        if (!cell_text.empty()) line += (line.empty() ? "" : " | ") + cell_text;
      }
      if (!line.empty()) doc_.blocks.push_back({BlockKind::table_row, 0, std::move(line)});
    }
  }

  ParsedDocument& doc_;
  std::unordered_map<std::string, int> headings_;
};

class DocxLoader final : public Loader {
 public:
  bool reads_bytes() const override { return true; }

  Result<ParsedDocument> load(std::string_view, const RawDocument& raw) const override {
    PARLEY_ASSIGN_OR_RETURN(auto archive, ZipArchive::open(raw.bytes, "DOCX"));
    PARLEY_ASSIGN_OR_RETURN(auto document_xml, archive.read("word/document.xml"));
    if (!document_xml) return make_error(ErrorCode::unprocessable, "the file has no word/document.xml: not a DOCX");
    PARLEY_ASSIGN_OR_RETURN(auto styles_xml, archive.read("word/styles.xml"));
    PARLEY_ASSIGN_OR_RETURN(auto core_xml, archive.read("docProps/core.xml"));

    // Parsed in place: the inflated text is the parser's buffer, not copied again.
    pugi::xml_document styles;
    if (styles_xml) styles.load_buffer_inplace(styles_xml->data(), styles_xml->size());
    pugi::xml_document document;
    const auto parsed = document.load_buffer_inplace(document_xml->data(), document_xml->size());
    if (!parsed) return make_error(ErrorCode::unprocessable, std::string("the DOCX text is not valid XML: ") + parsed.description());

    ParsedDocument doc;
    DocxReader(doc, heading_styles(styles)).body(document.child("w:document").child("w:body"), 0);
    std::string metadata_title;
    if (core_xml) {
      pugi::xml_document core;
      if (core.load_buffer_inplace(core_xml->data(), core_xml->size())) {
        metadata_title = core.child("cp:coreProperties").child("dc:title").text().get();
      }
    }
    doc.title = document_title(metadata_title, doc, raw.uri);
    return doc;
  }
};

}  // namespace

const Loader& docx_loader() {
  static const DocxLoader loader;
  return loader;
}

}  // namespace parley::ingest
