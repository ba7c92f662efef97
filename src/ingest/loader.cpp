#include "ingest/loader.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include "ingest/encoding.h"

namespace parley::ingest {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string extension_of(std::string_view uri) {
  // Ignore a URL's query and fragment.
  uri = uri.substr(0, uri.find_first_of("?#"));
  const auto slash = uri.find_last_of('/');
  if (slash != std::string_view::npos) uri.remove_prefix(slash + 1);
  const auto dot = uri.find_last_of('.');
  return dot == std::string_view::npos ? std::string() : lower(uri.substr(dot + 1));
}

bool looks_like_html(std::string_view bytes) {
  const std::string head = lower(bytes.substr(0, 512));
  const auto start = head.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  if (start == std::string::npos) return false;
  const std::string_view trimmed = std::string_view(head).substr(start);
  return trimmed.starts_with("<!doctype html") || trimmed.starts_with("<html") || trimmed.starts_with("<head") ||
         trimmed.starts_with("<body");
}

bool is_zip(std::string_view bytes) { return bytes.starts_with("PK\x03\x04"); }

// Formats Parley knows but cannot read get a specific message instead of a generic one.
std::optional<std::string_view> known_unsupported(std::string_view extension, std::string_view bytes) {
  if (extension == "doc" || extension == "odt" || extension == "rtf" || bytes.starts_with("\xD0\xCF\x11\xE0")) {
    return "legacy word-processor (.doc/.odt/.rtf: save as .docx or PDF)";
  }
  if (extension == "xlsx" || extension == "xls") return "spreadsheet";
  if (extension == "png" || extension == "jpg" || extension == "jpeg" || extension == "gif" || extension == "webp") {
    return "image";
  }
  if (extension == "zip" || extension == "gz" || (is_zip(bytes) && extension != "docx")) return "archive";
  return std::nullopt;
}

}  // namespace

std::string_view format_content_type(Format format) {
  switch (format) {
    case Format::plain_text: return "text/plain";
    case Format::markdown: return "text/markdown";
    case Format::html: return "text/html";
    case Format::csv: return "text/csv";
    case Format::json: return "application/json";
    case Format::pdf: return "application/pdf";
    case Format::docx: return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  }
  return "text/plain";
}

Result<Format> detect_format(const RawDocument& raw) {
  const std::string extension = extension_of(raw.uri);
  if (auto kind = known_unsupported(extension, raw.bytes)) {
    return make_error(ErrorCode::unsupported_media, std::string(*kind) +
                                                        " files are not supported; upload PDF, DOCX, text, Markdown, HTML, CSV or JSON");
  }
  if (raw.bytes.starts_with("%PDF-") || extension == "pdf") return Format::pdf;
  if (extension == "docx") return Format::docx;
  std::string type = lower(raw.content_type.substr(0, raw.content_type.find(';')));
  type.erase(type.find_last_not_of(" \t") + 1);
  if (type == "text/markdown" || type == "text/x-markdown") return Format::markdown;
  if (type == "text/html" || type == "application/xhtml+xml") return Format::html;
  if (type == "text/csv") return Format::csv;
  if (type == "application/json") return Format::json;
  if (extension == "md" || extension == "markdown" || extension == "mdown" || extension == "mkd") return Format::markdown;
  if (extension == "html" || extension == "htm" || extension == "xhtml") return Format::html;
  if (extension == "csv") return Format::csv;
  if (extension == "json") return Format::json;
  if (extension == "txt" || extension == "text" || extension.empty() || type == "text/plain") {
    return looks_like_html(raw.bytes) ? Format::html : Format::plain_text;
  }
  if (looks_like_html(raw.bytes)) return Format::html;
  return make_error(ErrorCode::unsupported_media, "unsupported file type ." + extension +
                                                      "; upload PDF, DOCX, text, Markdown, HTML, CSV or JSON");
}

namespace {

const Loader& loader_for(Format format) {
  switch (format) {
    case Format::plain_text: return plain_text_loader();
    case Format::markdown: return markdown_loader();
    case Format::html: return html_loader();
    case Format::csv: return csv_qa_loader();
    case Format::json: return json_qa_loader();
    case Format::pdf: return pdf_loader();
    case Format::docx: return docx_loader();
  }
  return plain_text_loader();
}

}  // namespace

Result<ParsedDocument> parse_document(const RawDocument& raw) {
  if (raw.bytes.empty()) return make_error(ErrorCode::unprocessable, "the document is empty");
  PARLEY_ASSIGN_OR_RETURN(const Format format, detect_format(raw));
  const Loader& loader = loader_for(format);
  std::optional<DecodedText> decoded;
  if (!loader.reads_bytes()) {
    PARLEY_ASSIGN_OR_RETURN(decoded, decode_text(raw.bytes));
  }
  PARLEY_ASSIGN_OR_RETURN(ParsedDocument document, loader.load(decoded ? std::string_view(decoded->text) : "", raw));
  document.content_type = std::string(format_content_type(format));
  if (decoded && decoded->encoding != "utf-8") document.warnings.push_back("decoded as " + decoded->encoding);
  if (document.blocks.empty() && document.qa_pairs.empty()) {
    return make_error(ErrorCode::unprocessable, "the document has no text");
  }
  return document;
}

}  // namespace parley::ingest
