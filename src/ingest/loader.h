// Loaders turn raw bytes of one format into a ParsedDocument. Each format has one loader; parse_document()
// picks it from the declared content type, the file extension and the bytes themselves. Later formats (PDF, DOCX,
// crawled pages) plug in by adding a Format and a loader to the table in loader.cpp.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "ingest/document.h"

namespace parley::ingest {

enum class Format { plain_text, markdown, html, csv, json, pdf, docx };

struct RawDocument {
  std::string uri;           // file name or URL: used for the format guess and for citations
  std::string content_type;  // as declared by an upload or an HTTP response; may be empty
  std::string_view bytes;
};

class Loader {
 public:
  virtual ~Loader() = default;
  // Binary formats read raw.bytes themselves; text formats get `text`, valid UTF-8 decoded by parse_document.
  virtual bool reads_bytes() const { return false; }
  virtual Result<ParsedDocument> load(std::string_view text, const RawDocument& raw) const = 0;
};

// The format of a document, or an unsupported_media error naming what was seen.
Result<Format> detect_format(const RawDocument& raw);

// Decodes, detects and loads; errors are clear and specific (unsupported format, binary data, empty, corrupt).
Result<ParsedDocument> parse_document(const RawDocument& raw);

std::string_view format_content_type(Format format);

// The loaders, one per format.
const Loader& plain_text_loader();
const Loader& markdown_loader();
const Loader& html_loader();
const Loader& csv_qa_loader();
const Loader& json_qa_loader();
const Loader& pdf_loader();
const Loader& docx_loader();

}  // namespace parley::ingest
