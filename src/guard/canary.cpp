#include "guard/canary.h"

#include <cctype>

#include <sodium.h>

#include "guard/injection.h"

namespace parley::guard {
namespace {

// Letters and digits only, lower case: "C a-n_a r y" and "canary" compare equal.
std::string alnum_only(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

std::string make_canary() {
  if (sodium_init() < 0) return "canary-0000000000000000";
  unsigned char bytes[8];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return std::string("canary-") + hex;
}

bool leaks_canary(std::string_view answer, std::string_view canary) {
  const std::string needle = alnum_only(canary);
  if (needle.empty()) return false;
  if (alnum_only(answer).find(needle) != std::string::npos) return true;
  return alnum_only(screening_form(answer)).find(needle) != std::string::npos;
}

}  // namespace parley::guard
