// Feeds arbitrary bytes to the GGUF parser and then reads every metadata value and tensor byte it accepted, so an
// out-of-bounds pointer or an unchecked size shows up under AddressSanitizer.
#include <cstddef>
#include <cstdint>

#include "engine/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = parley::engine::GgufFile::from_bytes({data, size});
  if (!file.ok()) return 0;
  volatile uint64_t sink = 0;
  for (const auto& kv : file->metadata()) {
    (void)file->get_u32(kv.key);
    (void)file->get_i32(kv.key);
    (void)file->get_f32(kv.key);
    (void)file->get_string(kv.key);
    (void)file->get_string_array(kv.key);
    (void)file->get_f32_array(kv.key);
    (void)file->get_i32_array(kv.key);
  }
  for (const auto& tensor : file->tensors()) {
    for (uint64_t i = 0; i < tensor.n_bytes; i += 61) sink = sink + tensor.data[i];
    if (tensor.n_bytes > 0) sink = sink + tensor.data[tensor.n_bytes - 1];
  }
  return 0;
}
