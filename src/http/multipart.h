// multipart/form-data bodies (RFC 7578): the parts of a browser or curl upload.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::http {

struct MultipartPart {
  std::string name;          // form field name
  std::string filename;      // empty for plain fields
  std::string content_type;  // of the part; may be empty
  std::string_view body;     // points into the request body
};

// The value of parameter `key` in a header like `form-data; name="f"; filename="a.md"` (quoted or not); the
// RFC 5987 form key*=charset''%XX wins over the plain one.
std::string header_parameter(std::string_view header, std::string_view key);

// The boundary parameter of a multipart Content-Type, or an error when the type is not multipart/form-data.
Result<std::string> multipart_boundary(std::string_view content_type);

Result<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                                   std::size_t max_parts = 100);

}  // namespace parley::http
