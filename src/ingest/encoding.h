// Text decoding of uploaded bytes: UTF-8 (with or without BOM), UTF-16 with BOM, and Latin-1 (Windows-1252)
// for text that is not valid UTF-8.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace parley::ingest {

struct DecodedText {
  std::string text;       // valid UTF-8
  std::string encoding;   // "utf-8", "utf-16le", "utf-16be", "windows-1252"
};

// Fails (unsupported_media) on bytes that look binary: NUL bytes outside UTF-16.
Result<DecodedText> decode_text(std::string_view bytes);

}  // namespace parley::ingest
