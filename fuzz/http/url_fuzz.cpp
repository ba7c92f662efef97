// URL decoding, query parsing and JSON body checks on arbitrary bytes.
#include <cstdint>
#include <string>

#include "http/message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  (void)parley::http::url_decode(input, true);
  (void)parley::http::parse_query(input);
  parley::http::Request request;
  request.body = input;
  (void)parley::http::parse_json_object(request);
  request.headers["Accept"] = input;
  (void)request.accepts("text/event-stream");
  return 0;
}
