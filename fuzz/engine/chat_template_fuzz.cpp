// Arbitrary bytes as a chat template: parsing and rendering must end in a prompt or an error, never a crash, a hang
// or unbounded memory (see chat_template_fuzz.h).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "chat_template_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string failure =
      parley::engine::fuzz::check_chat_template({reinterpret_cast<const char*>(data), size});
  if (!failure.empty()) {
    std::fprintf(stderr, "%s\n", failure.c_str());
    std::abort();
  }
  return 0;
}
