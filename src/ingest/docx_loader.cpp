// DOCX (Office Open XML) through libzip + pugixml: paragraphs with their styles (Title/Heading N, or an outline
// level, become headings), numbered and bulleted paragraphs become list items with their level, tables become
// rows with cells joined by " | ". Only the known parts are read (word/document.xml, word/styles.xml,
// docProps/core.xml), each with a size cap and a cap on the whole archive's declared uncompressed size and
// compression ratio, so zip bombs are refused and path-traversal entries are never touched.
#include <zip.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <pugixml.hpp>
#include <unordered_map>

#include "ingest/loader.h"
#include "ingest/text_util.h"

namespace parley::ingest {
namespace {

constexpr zip_uint64_t kMaxPartBytes = 64u << 20;
constexpr zip_uint64_t kMaxArchiveBytes = 512u << 20;  // declared uncompressed total
constexpr double kMaxCompressionRatio = 200;
constexpr zip_int64_t kMaxEntries = 10'000;
constexpr int kMaxTableNesting = 8;

struct ZipCloser {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};

Status check_archive(zip_t* archive, std::size_t compressed_size) {
  const zip_int64_t entries = zip_get_num_entries(archive, 0);
  if (entries < 0 || entries > kMaxEntries) return make_error(ErrorCode::unprocessable, "the DOCX has too many parts");
  zip_uint64_t total = 0;
  for (zip_int64_t i = 0; i < entries; ++i) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive, static_cast<zip_uint64_t>(i), 0, &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE)) continue;
    total += stat.size;
    if (total > kMaxArchiveBytes) {
      return make_error(ErrorCode::unprocessable, "the DOCX expands to more than 512 MB (a zip bomb?)");
    }
  }
  if (static_cast<double>(total) > kMaxCompressionRatio * static_cast<double>(std::max<std::size_t>(compressed_size, 1024))) {
    return make_error(ErrorCode::unprocessable, "the DOCX is compressed suspiciously well (a zip bomb?)");
  }
  return {};
}

// The bytes of part `name`, or nullopt when absent; never more than kMaxPartBytes whatever the header claims.
Result<std::optional<std::string>> read_part(zip_t* archive, const char* name) {
  const zip_int64_t index = zip_name_locate(archive, name, 0);
  if (index < 0) return std::optional<std::string>();
  std::unique_ptr<zip_file_t, ZipFileCloser> file(zip_fopen_index(archive, static_cast<zip_uint64_t>(index), 0));
  if (!file) return make_error(ErrorCode::unprocessable, std::string("cannot read ") + name + " in the DOCX (encrypted?)");
  std::string out;
  char buffer[65536];
  for (;;) {
    const zip_int64_t n = zip_fread(file.get(), buffer, sizeof buffer);
    if (n < 0) return make_error(ErrorCode::unprocessable, std::string("the DOCX part ") + name + " is damaged");
    if (n == 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > kMaxPartBytes) return make_error(ErrorCode::unprocessable, std::string(name) + " is larger than 64 MB");
  }
  return std::optional<std::string>(std::move(out));
}

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
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(raw.bytes.data(), raw.bytes.size(), 0, &error);
    if (source == nullptr) return make_error(ErrorCode::internal, "cannot read the upload");
    std::unique_ptr<zip_t, ZipCloser> archive(zip_open_from_source(source, ZIP_RDONLY, &error));
    if (!archive) {
      zip_source_free(source);
      zip_error_fini(&error);
      return make_error(ErrorCode::unprocessable, "the DOCX is damaged or not a DOCX (not a zip archive)");
    }
    zip_error_fini(&error);
    PARLEY_TRY(check_archive(archive.get(), raw.bytes.size()));
    PARLEY_ASSIGN_OR_RETURN(auto document_xml, read_part(archive.get(), "word/document.xml"));
    if (!document_xml) return make_error(ErrorCode::unprocessable, "the file has no word/document.xml: not a DOCX");
    PARLEY_ASSIGN_OR_RETURN(auto styles_xml, read_part(archive.get(), "word/styles.xml"));
    PARLEY_ASSIGN_OR_RETURN(auto core_xml, read_part(archive.get(), "docProps/core.xml"));

    pugi::xml_document styles;
    if (styles_xml) styles.load_buffer(styles_xml->data(), styles_xml->size());
    pugi::xml_document document;
    const auto parsed = document.load_buffer(document_xml->data(), document_xml->size());
    if (!parsed) return make_error(ErrorCode::unprocessable, std::string("the DOCX text is not valid XML: ") + parsed.description());

    ParsedDocument doc;
    DocxReader(doc, heading_styles(styles)).body(document.child("w:document").child("w:body"), 0);
    std::string metadata_title;
    if (core_xml) {
      pugi::xml_document core;
      if (core.load_buffer(core_xml->data(), core_xml->size())) {
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
