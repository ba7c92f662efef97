// multipart/form-data parsing on arbitrary bodies; the first line of the input is used as the Content-Type.
#include <cstdint>
#include <string_view>

#include "http/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string_view content_type = input.substr(0, newline);
  const std::string_view body = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  const auto boundary = parley::http::multipart_boundary(content_type);
  if (boundary.ok()) (void)parley::http::parse_multipart(body, *boundary);
  (void)parley::http::header_parameter(content_type, "filename");
  return 0;
}
