// CSV exports (leads, conversations) that spreadsheets open safely.
#pragma once

#include <string>
#include <string_view>

namespace parley {

// RFC 4180 field: quoted when it holds a comma, quote or line break. A leading =, +, -, @, tab or carriage return
// (OWASP's list: spreadsheets skip the last two and read a formula after them) is prefixed with an apostrophe so
// that a spreadsheet never runs a visitor's text as a formula.
std::string csv_field(std::string_view text);

}  // namespace parley
