// Personal data in free text: e-mail addresses, phone numbers, payment card numbers (Luhn-checked), IBANs
// (mod-97-checked), national id numbers (US SSN, UK National Insurance number) and IP addresses (v4 and v6).
// Detection is deliberately conservative where a false positive would destroy ordinary text: card numbers must pass
// Luhn, IBANs their check digits, phone numbers need 8 to 15 digits written like a phone number. Redaction replaces
// each finding with a typed placeholder ("[EMAIL]", "[PHONE]", ...), so logs and exports keep their meaning.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::guard {

enum class PiiType : std::uint8_t { email, phone, card, iban, national_id, ip_address };

// "email", "phone", "card", "iban", "national_id", "ip_address"
std::string_view pii_type_name(PiiType type);
// The placeholder redaction writes: "[EMAIL]", "[PHONE]", "[CARD]", "[IBAN]", "[NATIONAL_ID]", "[IP]".
std::string_view pii_placeholder(PiiType type);

// A set of PiiType values (bit i is PiiType i).
using PiiTypes = std::uint32_t;
constexpr PiiTypes kAllPii = 0x3F;
constexpr PiiTypes pii_bit(PiiType type) { return PiiTypes{1} << static_cast<unsigned>(type); }
// Parses "email,phone,card" (also "all", "none", ""); unknown names are ignored and reported in `unknown`.
PiiTypes parse_pii_types(std::string_view list, std::vector<std::string>* unknown = nullptr);

struct PiiMatch {
  PiiType type;
  std::size_t begin = 0;  // byte offsets into the scanned text
  std::size_t end = 0;
};

// The findings in `text` (of the wanted types), in order, never overlapping. Text beyond kMaxPiiScanBytes is not
// scanned (redact_pii drops it rather than pass it through unscanned).
std::vector<PiiMatch> find_pii(std::string_view text, PiiTypes types = kAllPii);
std::string redact_pii(std::string_view text, PiiTypes types = kAllPii);

constexpr std::size_t kMaxPiiScanBytes = 1 << 20;

// The checks, exposed for tests.
bool luhn_valid(std::string_view digits);
bool iban_valid(std::string_view iban);  // spaces allowed; letters in either case

}  // namespace parley::guard
