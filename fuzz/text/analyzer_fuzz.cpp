// The analyzer (folding, stemming, bigrams), sentence splitting and UTF-8 helpers on arbitrary bytes; checks that
// every term span lies inside the input.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/utf8.h"
#include "text/analyzer.h"
#include "text/sentences.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static const parley::text::Analyzer english("en");
  static const parley::text::Analyzer japanese("ja");
  for (const auto* analyzer : {&english, &japanese}) {
    for (const auto& term : analyzer->analyze(text, {.keep_stop_words = true, .stem = true})) {
      if (term.begin > term.end || term.end > text.size() || term.text.empty()) std::abort();
    }
  }
  for (const auto& span : parley::text::split_sentences(text)) {
    if (span.begin >= span.end || span.end > text.size()) std::abort();
  }
  if (!parley::is_valid_utf8(parley::repair_utf8(text))) std::abort();
  (void)parley::text::fold(text);
  return 0;
}
