#include "model_load_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  parley::engine::run_model_load_input(data, size);
  return 0;
}
