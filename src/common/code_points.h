// Text lengths stated in characters (message limits): code points of valid UTF-8.
#pragma once

#include <cstddef>
#include <string_view>

namespace parley {

// How many code points `text` holds; `text` is valid UTF-8 (common/utf8.h checks it).
std::size_t count_code_points(std::string_view text);

}  // namespace parley
