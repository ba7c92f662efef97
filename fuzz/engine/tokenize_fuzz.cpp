// Arbitrary bytes through every shared tokenizer (the first byte picks the vocabulary and flags): see
// tokenize_fuzz.h for the properties checked.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "tokenize_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string failure = parley::engine::fuzz::check_tokenize({data, size}, PARLEY_SHARED_DIR);
  if (!failure.empty()) {
    std::fprintf(stderr, "%s\n", failure.c_str());
    std::abort();
  }
  return 0;
}
