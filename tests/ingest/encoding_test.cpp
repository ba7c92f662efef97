#include "ingest/encoding.h"

#include <gtest/gtest.h>

namespace parley::ingest {
namespace {

TEST(Encoding, Utf8WithAndWithoutBom) {
  EXPECT_EQ(decode_text("caf\xC3\xA9")->text, "caf\xC3\xA9");
  const auto with_bom = decode_text("\xEF\xBB\xBFhi");
  EXPECT_EQ(with_bom->text, "hi");
  EXPECT_EQ(with_bom->encoding, "utf-8");
}

TEST(Encoding, Utf16LittleAndBigEndianWithSurrogates) {
  const std::string le("\xFF\xFEh\0i\0=\xD8\x00\xDE", 10);  // "hi" + U+1F600
  const auto decoded = decode_text(le);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->text, "hi\xF0\x9F\x98\x80");
  EXPECT_EQ(decoded->encoding, "utf-16le");
  const std::string be("\xFE\xFF\0h\0i", 6);
  EXPECT_EQ(decode_text(be)->text, "hi");
}

TEST(Encoding, InvalidUtf8IsReadAsWindows1252) {
  const auto decoded = decode_text("caf\xE9 \x80 5");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->text, "caf\xC3\xA9 \xE2\x82\xAC 5");
  EXPECT_EQ(decoded->encoding, "windows-1252");
}

TEST(Encoding, BinaryDataIsRefused) {
  const auto decoded = decode_text(std::string("\x7F" "ELF\0\0\1", 7));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, ErrorCode::unsupported_media);
}

}  // namespace
}  // namespace parley::ingest
