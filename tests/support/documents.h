// Builders of real PDF and DOCX files for loader tests, so that tests need no binary fixtures.
#pragma once

#include <zip.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace parley::testing {

// One line of a PDF page: font size and ASCII text.
using PdfLine = std::pair<double, std::string>;

// A PDF file of `objects` (objects[i] is object i+1; object 1 is the catalog), with its cross-reference table and
// trailer; `info` is the number of the document-information object, 0 for none.
inline std::string assemble_pdf(const std::vector<std::string>& objects, int info = 0) {
  std::string pdf = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (std::size_t offset : offsets) {
    char entry[32];
    std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", offset);
    pdf += entry;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R" +
         (info ? " /Info " + std::to_string(info) + " 0 R" : "") + " >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

// A PDF (Helvetica, US Letter) with the given lines top-down on each page; an empty page has no text at all.
inline std::string make_pdf(const std::vector<std::vector<PdfLine>>& pages, const std::string& title = "") {
  std::vector<std::string> objects;  // objects[i] is object i+1
  const auto escape = [](const std::string& text) {
    std::string out;
    for (char c : text) {
      if (c == '(' || c == ')' || c == '\\') out += '\\';
      out += c;
    }
    return out;
  };
  const int font = 3;
  std::string kids;
  std::vector<std::pair<int, std::string>> page_objects;  // (page object number, content stream)
  const int first_page = 4;
  for (std::size_t p = 0; p < pages.size(); ++p) {
    std::string stream;
    double y = 740;
    for (const auto& [size, text] : pages[p]) {
      stream += "BT /F1 " + std::to_string(size) + " Tf 72 " + std::to_string(y) + " Td (" + escape(text) + ") Tj ET\n";
      y -= size * 1.5;
    }
    page_objects.emplace_back(first_page + static_cast<int>(p) * 2, stream);
    kids += std::to_string(first_page + static_cast<int>(p) * 2) + " 0 R ";
  }
  objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages.size()) + " >>");
  objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  for (const auto& [number, stream] : page_objects) {
    objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 " +
                      std::to_string(font) + " 0 R >> >> /Contents " + std::to_string(number + 1) + " 0 R >>");
    objects.push_back("<< /Length " + std::to_string(stream.size()) + " >>\nstream\n" + stream + "endstream");
  }
  int info = 0;
  if (!title.empty()) {
    objects.push_back("<< /Title (" + escape(title) + ") >>");
    info = static_cast<int>(objects.size());
  }
  return assemble_pdf(objects, info);
}

// A PDF of `pages` pages that all show one dense content stream of `lines` short lines of text: small on disk,
// but every page costs a reader the whole stream — the shape of a file made to burn a parser's CPU.
inline std::string make_pdf_sharing_one_stream(int pages, int lines) {
  std::string stream = "BT /F1 4 Tf 4 TL 20 780 Td\n";
  for (int i = 0; i < lines; ++i) stream += "(word " + std::to_string(i) + " of the shared stream) Tj T*\n";
  stream += "ET\n";
  std::vector<std::string> objects = {"<< /Type /Catalog /Pages 2 0 R >>", "",
                                      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
                                      "<< /Length " + std::to_string(stream.size()) + " >>\nstream\n" + stream + "endstream"};
  std::string kids;
  for (int p = 0; p < pages; ++p) {
    kids += std::to_string(5 + p) + " 0 R ";
    objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>");
  }
  objects[1] = "<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages) + " >>";
  return assemble_pdf(objects);
}

// A zip archive with the given (name, content) entries, deflated.
inline std::string make_zip(const std::vector<std::pair<std::string, std::string>>& entries) {
  const auto path = std::filesystem::temp_directory_path() / ("parley-zip-" + std::to_string(::getpid()) + ".zip");
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  for (const auto& [name, content] : entries) {
    zip_source_t* source = zip_source_buffer(archive, content.data(), content.size(), 0);
    zip_file_add(archive, name.c_str(), source, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
  }
  zip_close(archive);  // writes the file; the buffers above must outlive this call
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(path);
  return bytes;
}

// The archive with every header (local and central) of entry `name` declaring `declared` uncompressed bytes
// instead of the true size, as a zip bomb does to slip past checks of declared sizes.
inline std::string lie_about_size(std::string zip, const std::string& name, std::uint32_t declared) {
  const auto put32 = [&](std::size_t at, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) zip[at + i] = static_cast<char>((value >> (8 * i)) & 0xff);
  };
  const auto get16 = [&](std::size_t at) {
    return static_cast<std::size_t>(static_cast<unsigned char>(zip[at])) | static_cast<std::size_t>(static_cast<unsigned char>(zip[at + 1])) << 8;
  };
  // Local file header: name length at 26, name at 30, uncompressed size at 22; central directory header: name
  // length at 28, name at 46, uncompressed size at 24.
  for (std::size_t at = zip.find("PK\x03\x04"); at != std::string::npos; at = zip.find("PK\x03\x04", at + 4)) {
    if (zip.compare(at + 30, name.size(), name) == 0 && get16(at + 26) == name.size()) put32(at + 22, declared);
  }
  for (std::size_t at = zip.find("PK\x01\x02"); at != std::string::npos; at = zip.find("PK\x01\x02", at + 4)) {
    if (zip.compare(at + 46, name.size(), name) == 0 && get16(at + 28) == name.size()) put32(at + 24, declared);
  }
  return zip;
}

// A DOCX whose word/document.xml body is `body_xml` (w: namespace declared), with optional styles and title.
inline std::string make_docx(const std::string& body_xml, const std::string& styles_xml = "", const std::string& title = "",
                             std::vector<std::pair<std::string, std::string>> extra_entries = {}) {
  const std::string ns = "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"";
  std::vector<std::pair<std::string, std::string>> entries = {
      {"[Content_Types].xml", "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>"},
      {"word/document.xml", "<?xml version=\"1.0\"?><w:document " + ns + "><w:body>" + body_xml + "</w:body></w:document>"},
  };
  if (!styles_xml.empty()) entries.push_back({"word/styles.xml", "<?xml version=\"1.0\"?><w:styles " + ns + ">" + styles_xml + "</w:styles>"});
  if (!title.empty()) {
    entries.push_back({"docProps/core.xml",
                       "<?xml version=\"1.0\"?><cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" "
                       "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>" + title + "</dc:title></cp:coreProperties>"});
  }
  for (auto& entry : extra_entries) entries.push_back(std::move(entry));
  return make_zip(entries);
}

// A paragraph of a DOCX body, with an optional style id and list level.
inline std::string docx_paragraph(const std::string& text, const std::string& style = "", int list_level = -1) {
  std::string properties;
  if (!style.empty()) properties += "<w:pStyle w:val=\"" + style + "\"/>";
  if (list_level >= 0) properties += "<w:numPr><w:ilvl w:val=\"" + std::to_string(list_level) + "\"/><w:numId w:val=\"1\"/></w:numPr>";
  return "<w:p>" + (properties.empty() ? "" : "<w:pPr>" + properties + "</w:pPr>") + "<w:r><w:t xml:space=\"preserve\">" + text +
         "</w:t></w:r></w:p>";
}

}  // namespace parley::testing
