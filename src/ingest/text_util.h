// Small text helpers shared by the loaders.
#pragma once

#include <string>
#include <string_view>

#include "ingest/document.h"

namespace parley::ingest {

// Collapses every run of whitespace (including line breaks and no-break spaces) into one space and trims.
std::string collapse_whitespace(std::string_view text);

// The file name of a path or URL without its extension, with '-' and '_' as spaces: a fallback title.
std::string title_from_uri(std::string_view uri);

// The title of a file (PDF, DOCX): its metadata title unless that names no document (what tools write when there
// is none: "about:blank", "Untitled", "Microsoft Word - x.docx", a path or address, a file name), else its first
// heading, else the file name.
std::string document_title(std::string_view metadata_title, const ParsedDocument& document, std::string_view uri);

}  // namespace parley::ingest

namespace parley::ingest {

// The text of an HTML character reference ("&amp;", "&#233;", "&#x20AC;"); unknown names are kept as written.
std::string decode_html_entity(std::string_view entity);

}  // namespace parley::ingest
