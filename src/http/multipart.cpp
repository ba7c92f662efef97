#include "http/multipart.h"

#include <algorithm>
#include <cctype>

#include "http/message.h"

namespace parley::http {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Splits "type; a=1; b=\"x;y\"" at the semicolons that are not inside quotes.
std::vector<std::string_view> split_parameters(std::string_view header) {
  std::vector<std::string_view> items;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (quoted && header[i] == '\\') {
      ++i;
    } else if (header[i] == '"') {
      quoted = !quoted;
    } else if (header[i] == ';' && !quoted) {
      items.push_back(trim(header.substr(start, i - start)));
      start = i + 1;
    }
  }
  items.push_back(trim(header.substr(std::min(start, header.size()))));
  return items;
}

std::string unquote(std::string_view value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return std::string(value);
  std::string out;
  for (std::size_t i = 1; i + 1 < value.size(); ++i) {
    if (value[i] == '\\' && i + 2 < value.size()) ++i;
    out += value[i];
  }
  return out;
}

}  // namespace

std::string header_parameter(std::string_view header, std::string_view key) {
  std::string plain;
  for (const std::string_view item : split_parameters(header)) {
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string name = lower(trim(item.substr(0, eq)));
    const std::string_view value = trim(item.substr(eq + 1));
    if (name == std::string(key) + "*") {
      const auto first_tick = value.find('\'');
      const auto second_tick = first_tick == std::string_view::npos ? first_tick : value.find('\'', first_tick + 1);
      if (second_tick == std::string_view::npos) continue;
      auto decoded = url_decode(value.substr(second_tick + 1), false);
      if (decoded.ok()) return *decoded;
    } else if (name == key) {
      plain = unquote(value);
    }
  }
  return plain;
}

Result<std::string> multipart_boundary(std::string_view content_type) {
  if (!lower(trim(content_type.substr(0, content_type.find(';')))).starts_with("multipart/form-data")) {
    return make_error(ErrorCode::unsupported_media, "expected multipart/form-data");
  }
  std::string boundary = header_parameter(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 200) {
    return make_error(ErrorCode::invalid_request, "the multipart Content-Type has no valid boundary");
  }
  return boundary;
}

Result<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                                   std::size_t max_parts) {
  const std::string delimiter = "--" + std::string(boundary);
  std::vector<MultipartPart> parts;
  std::size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) return make_error(ErrorCode::invalid_request, "the multipart body has no parts");
  while (true) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") return parts;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") return make_error(ErrorCode::invalid_request, "malformed multipart delimiter");
    pos += 2;
    const std::size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) return make_error(ErrorCode::invalid_request, "a multipart part has no header end");
    MultipartPart part;
    std::size_t line_start = pos;
    while (line_start < headers_end) {
      std::size_t line_end = body.find("\r\n", line_start);
      if (line_end == std::string_view::npos || line_end > headers_end) line_end = headers_end;
      const std::string_view line = body.substr(line_start, line_end - line_start);
      const auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        const std::string name = lower(trim(line.substr(0, colon)));
        const std::string_view value = trim(line.substr(colon + 1));
        if (name == "content-disposition") {
          part.name = header_parameter(value, "name");
          part.filename = header_parameter(value, "filename");
        } else if (name == "content-type") {
          part.content_type = std::string(value);
        }
      }
      line_start = line_end + 2;
    }
    const std::size_t content_start = headers_end + 4;
    const std::size_t next = body.find("\r\n" + delimiter, content_start);
    if (next == std::string_view::npos) return make_error(ErrorCode::invalid_request, "the multipart body is cut short");
    part.body = body.substr(content_start, next - content_start);
    if (parts.size() >= max_parts) return make_error(ErrorCode::payload_too_large, "too many parts in the upload");
    parts.push_back(std::move(part));
    pos = next + 2;
  }
}

}  // namespace parley::http
