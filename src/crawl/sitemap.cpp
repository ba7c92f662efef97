#include "crawl/sitemap.h"

#include <zlib.h>

#include <cctype>
#include <ctime>
#include <pugixml.hpp>

namespace parley::crawl {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// The element name without its namespace prefix ("sm:url" -> "url").
std::string_view local_name(const pugi::xml_node& node) {
  std::string_view name = node.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child_named(const pugi::xml_node& parent, std::string_view name) {
  for (const auto& child : parent.children()) {
    if (child.type() == pugi::node_element && local_name(child) == name) return child;
  }
  return {};
}

bool parse_digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

Result<Sitemap> parse_text_list(std::string_view text) {
  Sitemap sitemap;
  std::size_t start = 0;
  while (start < text.size() && sitemap.entries.size() < kMaxSitemapEntries) {
    std::size_t end = text.find_first_of("\r\n", start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = trim(text.substr(start, end - start));
    start = end + 1;
    if (line.empty()) continue;
    if (!line.starts_with("http://") && !line.starts_with("https://")) {
      return make_error(ErrorCode::unprocessable, "not a sitemap: neither sitemap XML nor a list of URLs");
    }
    sitemap.entries.push_back({std::string(line), std::nullopt});
  }
  if (sitemap.entries.empty()) return make_error(ErrorCode::unprocessable, "the sitemap lists no URLs");
  return sitemap;
}

}  // namespace

Result<std::string> gunzip_if_compressed(std::string_view bytes, std::size_t max_bytes) {
  if (!bytes.starts_with("\x1f\x8b")) return std::string(bytes);
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) return make_error(ErrorCode::internal, "zlib failed to start");
  std::string out;
  char buffer[64 * 1024];
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(std::min<std::size_t>(bytes.size(), UINT32_MAX));
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&stream);
      return make_error(ErrorCode::payload_too_large,
                        "the gzip data inflates to more than " + std::to_string(max_bytes >> 20) + " MB");
    }
    if (status == Z_BUF_ERROR && stream.avail_in == 0) break;  // truncated input
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END) return make_error(ErrorCode::unprocessable, "the gzip data is corrupt or truncated");
  return out;
}

std::optional<std::int64_t> parse_w3c_datetime(std::string_view text) {
  text = trim(text);
  std::tm tm{};
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  if (!parse_digits(text, 0, 4, year)) return std::nullopt;
  if (text.size() >= 7 && (text[4] != '-' || !parse_digits(text, 5, 2, month))) return std::nullopt;
  if (text.size() >= 10 && (text[7] != '-' || !parse_digits(text, 8, 2, day))) return std::nullopt;
  std::int64_t offset_seconds = 0;
  if (text.size() > 10) {
    if (text[10] != 'T' || !parse_digits(text, 11, 2, hour) || text.size() < 16 || text[13] != ':' ||
        !parse_digits(text, 14, 2, minute)) {
      return std::nullopt;
    }
    std::size_t pos = 16;
    if (pos < text.size() && text[pos] == ':') {
      if (!parse_digits(text, pos + 1, 2, second)) return std::nullopt;
      pos += 3;
      if (pos < text.size() && text[pos] == '.') {
        ++pos;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
      }
    }
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      int zone_hours = 0, zone_minutes = 0;
      if (!parse_digits(text, pos + 1, 2, zone_hours) || text.size() < pos + 6 || text[pos + 3] != ':' ||
          !parse_digits(text, pos + 4, 2, zone_minutes)) {
        return std::nullopt;
      }
      offset_seconds = (text[pos] == '+' ? 1 : -1) * (zone_hours * 3600 + zone_minutes * 60);
    } else if (pos >= text.size() || text[pos] != 'Z') {
      if (pos != text.size()) return std::nullopt;
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t utc = timegm(&tm);
  return (static_cast<std::int64_t>(utc) - offset_seconds) * 1000;
}

Result<Sitemap> parse_sitemap(std::string_view bytes) {
  PARLEY_ASSIGN_OR_RETURN(const std::string text, gunzip_if_compressed(bytes));
  const std::string_view body = trim(text);
  if (body.empty()) return make_error(ErrorCode::unprocessable, "the sitemap is empty");
  if (!body.starts_with('<')) return parse_text_list(body);
  pugi::xml_document document;
  // No DOCTYPE processing and no entity expansion beyond the predefined ones: nothing to blow up.
  const auto parsed = document.load_buffer(body.data(), body.size(), pugi::parse_default & ~pugi::parse_doctype);
  if (!parsed) return make_error(ErrorCode::unprocessable, std::string("the sitemap XML is malformed: ") + parsed.description());
  const pugi::xml_node root = document.document_element();
  Sitemap sitemap;
  std::string_view entry_name;
  if (local_name(root) == "urlset") {
    entry_name = "url";
  } else if (local_name(root) == "sitemapindex") {
    sitemap.is_index = true;
    entry_name = "sitemap";
  } else {
    return make_error(ErrorCode::unprocessable, "not a sitemap: the XML root is <" + std::string(root.name()) + ">");
  }
  for (const auto& entry : root.children()) {
    if (sitemap.entries.size() >= kMaxSitemapEntries) break;
    if (entry.type() != pugi::node_element || local_name(entry) != entry_name) continue;
    const std::string_view location = trim(child_named(entry, "loc").text().as_string());
    if (location.empty()) continue;
    sitemap.entries.push_back({std::string(location), parse_w3c_datetime(child_named(entry, "lastmod").text().as_string())});
  }
  return sitemap;
}

}  // namespace parley::crawl
