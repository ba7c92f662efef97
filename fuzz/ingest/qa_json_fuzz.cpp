// The qa_json loader (via parse_document, as uploads use it) and the chunker on arbitrary bytes.
#include "load_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { return fuzz_load(data, size, "faq.json"); }
