// Guards applied to JSON from outside before it is parsed.
#pragma once

#include <cstddef>
#include <string_view>

namespace parley {

// True when arrays/objects in `text` nest deeper than `max_depth` (strings are skipped, so brackets inside them
// do not count). Lets callers refuse hostile nesting before a parser spends memory on it.
bool json_nesting_exceeds(std::string_view text, std::size_t max_depth);

}  // namespace parley
