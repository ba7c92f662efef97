// Request framing (Transfer-Encoding / Content-Length, RFC 9112) on arbitrary header values: the first byte says
// which headers are present, the rest is the joined Transfer-Encoding value.
#include <cstdint>
#include <string_view>

#include "http/message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view value(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto refusal = parley::http::framing_refusal((data[0] & 1) != 0, value, (data[0] & 2) != 0);
  if (refusal && refusal->status != 400 && refusal->status != 501) __builtin_trap();
  return 0;
}
