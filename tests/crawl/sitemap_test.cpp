#include "crawl/sitemap.h"

#include <gtest/gtest.h>
#include <zlib.h>

namespace parley::crawl {
namespace {

std::string gzip(const std::string& data) {
  z_stream stream{};
  deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
  std::string out(compressBound(static_cast<uLong>(data.size())) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

TEST(Sitemap, UrlsetWithLastmod) {
  const auto sitemap = parse_sitemap(
      R"(<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
         <url><loc> https://example.com/a </loc><lastmod>2024-05-01</lastmod></url>
         <url><loc>https://example.com/b</loc><lastmod>2024-05-01T10:00:00+02:00</lastmod></url>
         <url><lastmod>2024-01-01</lastmod></url></urlset>)");
  ASSERT_TRUE(sitemap.ok()) << sitemap.error().message;
  EXPECT_FALSE(sitemap->is_index);
  ASSERT_EQ(sitemap->entries.size(), 2u);
  EXPECT_EQ(sitemap->entries[0].url, "https://example.com/a");
  EXPECT_EQ(sitemap->entries[0].modified_at, 1714521600000);
  EXPECT_EQ(sitemap->entries[1].modified_at, 1714521600000 + 8 * 3600 * 1000);
}

TEST(Sitemap, IndexGzipAndPlainText) {
  const auto index = parse_sitemap(gzip(R"(<sm:sitemapindex xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">)"
                                        "<sm:sitemap><sm:loc>https://example.com/s1.xml.gz</sm:loc></sm:sitemap></sm:sitemapindex>"));
  ASSERT_TRUE(index.ok()) << index.error().message;
  EXPECT_TRUE(index->is_index);
  ASSERT_EQ(index->entries.size(), 1u);
  EXPECT_EQ(index->entries[0].url, "https://example.com/s1.xml.gz");
  const auto text = parse_sitemap("https://example.com/a\r\n\r\nhttps://example.com/b\n");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->entries.size(), 2u);
}

TEST(Sitemap, BadInputGetsClearErrors) {
  EXPECT_EQ(parse_sitemap("").error().message, "the sitemap is empty");
  EXPECT_EQ(parse_sitemap("<html><body>hi</body></html>").error().message, "not a sitemap: the XML root is <html>");
  EXPECT_EQ(parse_sitemap("hello world").error().message, "not a sitemap: neither sitemap XML nor a list of URLs");
  EXPECT_NE(parse_sitemap("<urlset><url><loc>x</loc>").error().message.find("malformed"), std::string::npos);
  EXPECT_EQ(parse_sitemap(gzip("<urlset/>").substr(0, 10)).error().message, "the gzip data is corrupt or truncated");
  // A gzip bomb: 64 MB of zeros in about 64 KB, over the 50 MB a sitemap may have.
  EXPECT_EQ(parse_sitemap(gzip(std::string(64u << 20, '\0'))).error().code, ErrorCode::payload_too_large);
}

TEST(Sitemap, W3cDatetimes) {
  EXPECT_EQ(parse_w3c_datetime("2024"), 1704067200000);
  EXPECT_EQ(parse_w3c_datetime("2024-02"), 1706745600000);
  EXPECT_EQ(parse_w3c_datetime("2024-05-01T00:00Z"), 1714521600000);
  EXPECT_EQ(parse_w3c_datetime("2024-05-01T00:00:00.5-01:00"), 1714521600000 + 3600 * 1000);
  EXPECT_FALSE(parse_w3c_datetime("yesterday"));
  EXPECT_FALSE(parse_w3c_datetime("2024-13-01"));
  EXPECT_FALSE(parse_w3c_datetime("2024-05-01T10"));
}

}  // namespace
}  // namespace parley::crawl
