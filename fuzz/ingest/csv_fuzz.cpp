// CSV reader on arbitrary bytes: must return rows or an error, never crash or hang.
#include <cstdint>
#include <string_view>

#include "ingest/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)parley::ingest::parse_csv(text, {.max_rows = 10'000, .max_fields = 100});
  return 0;
}
