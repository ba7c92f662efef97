// Shared body of the loader fuzz targets: the full parse pipeline (decoding, format loader) on arbitrary bytes
// named as `file_name`, then chunking of whatever was parsed.
#pragma once

#include <cstdint>
#include <string>

#include "ingest/chunker.h"
#include "ingest/loader.h"

inline int fuzz_load(const std::uint8_t* data, std::size_t size, const char* file_name) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const auto parsed = parley::ingest::parse_document({file_name, "", bytes});
  if (parsed.ok()) (void)parley::ingest::chunk_document(*parsed);
  return 0;
}
