#include "http/multipart.h"

#include <gtest/gtest.h>

namespace parley::http {
namespace {

TEST(Multipart, BoundaryFromContentType) {
  EXPECT_EQ(*multipart_boundary("multipart/form-data; boundary=----abc"), "----abc");
  EXPECT_EQ(*multipart_boundary("multipart/form-data; boundary=\"quoted; x\""), "quoted; x");
  EXPECT_EQ(multipart_boundary("application/json").error().code, ErrorCode::unsupported_media);
  EXPECT_FALSE(multipart_boundary("multipart/form-data").ok());
}

TEST(Multipart, ParsesFilesAndFields) {
  const std::string body =
      "--XX\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
      "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a b.md\"\r\nContent-Type: text/markdown\r\n\r\n"
      "# Title\r\nbody --XX not a delimiter\r\n"
      "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''caf%C3%A9.txt\r\n\r\ncontent\r\n--XX--\r\n";
  const auto parts = parse_multipart(body, "XX");
  ASSERT_TRUE(parts.ok()) << parts.error().message;
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].name, "note");
  EXPECT_EQ((*parts)[0].body, "hello");
  EXPECT_EQ((*parts)[1].filename, "a b.md");
  EXPECT_EQ((*parts)[1].content_type, "text/markdown");
  EXPECT_EQ((*parts)[1].body, "# Title\r\nbody --XX not a delimiter");
  EXPECT_EQ((*parts)[2].filename, "caf\xC3\xA9.txt");
}

TEST(Multipart, MalformedBodiesAreErrors) {
  EXPECT_FALSE(parse_multipart("no delimiter", "XX").ok());
  EXPECT_FALSE(parse_multipart("--XX\r\nContent-Disposition: form-data\r\n\r\nnever ends", "XX").ok());
  EXPECT_FALSE(parse_multipart("--XXgarbage", "XX").ok());
  std::string many;
  for (int i = 0; i < 5; ++i) many += "--XX\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n";
  many += "--XX--";
  EXPECT_EQ(parse_multipart(many, "XX", 3).error().code, ErrorCode::payload_too_large);
}

TEST(Multipart, HeaderParameters) {
  EXPECT_EQ(header_parameter("attachment; filename=\"x;y.md\"", "filename"), "x;y.md");
  EXPECT_EQ(header_parameter("attachment; filename=plain.txt", "filename"), "plain.txt");
  EXPECT_EQ(header_parameter("attachment", "filename"), "");
}

}  // namespace
}  // namespace parley::http
