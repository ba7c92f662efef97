// The language a text is written in, from its script and, for Latin script, its most frequent function words
// (the analyzer's stop-word lists). Good enough to tell an English page from a German one in a report; not a
// general-purpose language identifier.
#pragma once

#include <string>
#include <string_view>

namespace parley::ingest {

// An ISO 639-1 code ("en", "de", "fr", "es", "ru", "el", "zh", "ja", "ko", "ar", "he", "th", "hi"), or "" when
// the text is too short or mixed to tell.
std::string detect_language(std::string_view text);

}  // namespace parley::ingest
