#include "ingest/encoding.h"

#include <array>

#include "common/utf8.h"

namespace parley::ingest {
namespace {

// Windows-1252 code points of bytes 0x80..0x9F (the rest of the range equals Latin-1 / Unicode).
constexpr std::array<char32_t, 32> kCp1252High = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD,
    0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
    0x0153, 0xFFFD, 0x017E, 0x0178};

std::string decode_utf16(std::string_view bytes, bool little_endian) {
  std::string out;
  out.reserve(bytes.size());
  const auto unit = [&](std::size_t i) -> char32_t {
    const auto lo = static_cast<unsigned char>(bytes[little_endian ? i : i + 1]);
    const auto hi = static_cast<unsigned char>(bytes[little_endian ? i + 1 : i]);
    return static_cast<char32_t>(hi << 8 | lo);
  };
  std::size_t i = 0;
  while (i + 1 < bytes.size()) {
    char32_t cp = unit(i);
    i += 2;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (i + 1 < bytes.size() && unit(i) >= 0xDC00 && unit(i) <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (unit(i) - 0xDC00);
        i += 2;
      } else {
        cp = 0xFFFD;
      }
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      cp = 0xFFFD;
    }
    utf8_append(out, cp);
  }
  if (i < bytes.size()) utf8_append(out, 0xFFFD);  // odd trailing byte
  return out;
}

std::string decode_cp1252(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      out += c;
    } else if (byte < 0xA0) {
      utf8_append(out, kCp1252High[byte - 0x80]);
    } else {
      utf8_append(out, byte);
    }
  }
  return out;
}

}  // namespace

Result<DecodedText> decode_text(std::string_view bytes) {
  if (bytes.size() >= 2) {
    const auto b0 = static_cast<unsigned char>(bytes[0]);
    const auto b1 = static_cast<unsigned char>(bytes[1]);
    if (b0 == 0xFF && b1 == 0xFE) return DecodedText{decode_utf16(bytes.substr(2), true), "utf-16le"};
    if (b0 == 0xFE && b1 == 0xFF) return DecodedText{decode_utf16(bytes.substr(2), false), "utf-16be"};
  }
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
  if (bytes.find('\0') != std::string_view::npos) {
    return make_error(ErrorCode::unsupported_media, "the file looks binary (it contains NUL bytes), not text");
  }
  if (is_valid_utf8(bytes)) return DecodedText{std::string(bytes), "utf-8"};
  return DecodedText{decode_cp1252(bytes), "windows-1252"};
}

}  // namespace parley::ingest
