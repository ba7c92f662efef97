#include "ingest/csv.h"

namespace parley::ingest {

Result<std::vector<CsvRow>> parse_csv(std::string_view text, const CsvLimits& limits) {
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  bool quoted = false;       // inside a quoted field
  bool field_started = false;
  std::size_t pos = 0;

  const auto end_field = [&]() -> Status {
    if (row.size() >= limits.max_fields) {
      return make_error(ErrorCode::unprocessable, "a CSV row has more than " + std::to_string(limits.max_fields) + " fields");
    }
    row.push_back(std::move(field));
    field.clear();
    field_started = false;
    return {};
  };
  const auto end_row = [&]() -> Status {
    PARLEY_TRY(end_field());
    // A blank line is not a row.
    if (!(row.size() == 1 && row[0].empty())) {
      if (rows.size() >= limits.max_rows) {
        return make_error(ErrorCode::payload_too_large, "the CSV has more than " + std::to_string(limits.max_rows) + " rows");
      }
      rows.push_back(std::move(row));
    }
    row.clear();
    return {};
  };

  while (pos < text.size()) {
    const char c = text[pos];
    if (quoted) {
      if (c == '"') {
        if (pos + 1 < text.size() && text[pos + 1] == '"') {
          field += '"';
          pos += 2;
          continue;
        }
        quoted = false;
      } else {
        field += c;
      }
      ++pos;
      continue;
    }
    switch (c) {
      case '"':
        if (!field_started) {
          quoted = true;
          field_started = true;
        } else {
          field += c;
        }
        break;
      case ',':
        PARLEY_TRY(end_field());
        break;
      case '\r':
        if (pos + 1 < text.size() && text[pos + 1] == '\n') ++pos;
        PARLEY_TRY(end_row());
        break;
      case '\n':
        PARLEY_TRY(end_row());
        break;
      default:
        field += c;
        field_started = true;
    }
    ++pos;
  }
  if (quoted) return make_error(ErrorCode::unprocessable, "the CSV ends inside a quoted field");
  if (field_started || !field.empty() || !row.empty()) PARLEY_TRY(end_row());
  return rows;
}

}  // namespace parley::ingest
