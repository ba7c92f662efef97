// RFC 4180 CSV reading: quoted fields with doubled quotes and embedded line breaks, CRLF or LF rows.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::ingest {

using CsvRow = std::vector<std::string>;

struct CsvLimits {
  std::size_t max_rows = 1'000'000;
  std::size_t max_fields = 1'000;
};

// Parses all rows. An unterminated quoted field is an error (the file is cut or not CSV); a stray quote inside an
// unquoted field is kept as text, as spreadsheet tools do.
Result<std::vector<CsvRow>> parse_csv(std::string_view text, const CsvLimits& limits = {});

}  // namespace parley::ingest
