#include "guard/pii.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <boost/asio/ip/address.hpp>
#include <re2/re2.h>

namespace parley::guard {
namespace {

constexpr std::array<std::string_view, 6> kNames = {"email", "phone", "card", "iban", "national_id", "ip_address"};
constexpr std::array<std::string_view, 6> kPlaceholders = {"[EMAIL]", "[PHONE]", "[CARD]", "[IBAN]", "[NATIONAL_ID]", "[IP]"};

std::string digits_of(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (c >= '0' && c <= '9') digits += c;
  }
  return digits;
}

bool is_word_byte(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Every match of `pattern` in `text` whose bytes pass `accept` (given the match).
template <typename Accept>
void scan(std::string_view text, const RE2& pattern, PiiType type, Accept accept, std::vector<PiiMatch>& out) {
  re2::StringPiece input(text.data(), text.size());
  re2::StringPiece match;
  while (RE2::FindAndConsume(&input, pattern, &match)) {
    if (match.empty()) {
      if (input.empty()) break;
      input.remove_prefix(1);
      continue;
    }
    const std::size_t begin = static_cast<std::size_t>(match.data() - text.data());
    const std::size_t end = begin + match.size();
    // Not the middle of a longer token (an order number, a hash).
    const bool inside_word = (begin > 0 && is_word_byte(text[begin - 1]) && is_word_byte(text[begin])) ||
                             (end < text.size() && is_word_byte(text[end]) && is_word_byte(text[end - 1]));
    // "+49151..." is a phone number even when its digits happen to pass Luhn.
    const bool international_prefix = type == PiiType::card && begin > 0 && text[begin - 1] == '+';
    if (!inside_word && !international_prefix && accept(std::string_view(match.data(), match.size()))) out.push_back({type, begin, end});
  }
}

bool plausible_phone(std::string_view candidate) {
  const std::string digits = digits_of(candidate);
  if (digits.size() < 8 || digits.size() > 15) return false;
  // Dates and times written with separators ("2024-05-01", "12.03.2024 10:30") are not phone numbers.
  static const RE2 date(R"(^\d{4}[-./]\d{1,2}[-./]\d{1,2}|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$)");
  if (RE2::PartialMatch(re2::StringPiece(candidate.data(), candidate.size()), date)) return false;
  // A bare run of digits is a phone number only with a leading + (otherwise: an order or account number).
  const bool separated = candidate.find_first_of(" -.()/") != std::string_view::npos;
  return separated || candidate.front() == '+';
}

bool valid_ssn(std::string_view candidate) {
  const std::string digits = digits_of(candidate);
  if (digits.size() != 9) return false;
  const std::string_view area(digits.data(), 3);
  return area != "000" && area != "666" && digits[0] != '9' && digits.substr(3, 2) != "00" && digits.substr(5) != "0000";
}

bool valid_ip(std::string_view candidate) {
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(std::string(candidate), error);
  if (error) return false;
  // "1.2.3.4" also reads as a version number; require a real-looking address (not 0.x, and v6 with 2+ groups).
  if (address.is_v4()) return address.to_v4().to_bytes()[0] != 0;
  return std::count(candidate.begin(), candidate.end(), ':') >= 2;
}

}  // namespace

std::string_view pii_type_name(PiiType type) { return kNames[static_cast<std::size_t>(type)]; }
std::string_view pii_placeholder(PiiType type) { return kPlaceholders[static_cast<std::size_t>(type)]; }

PiiTypes parse_pii_types(std::string_view list, std::vector<std::string>* unknown) {
  PiiTypes types = 0;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name.empty() || name == "none") continue;
    if (name == "all") {
      types |= kAllPii;
      continue;
    }
    const auto it = std::find(kNames.begin(), kNames.end(), name);
    if (it == kNames.end()) {
      if (unknown) unknown->emplace_back(name);
      continue;
    }
    types |= PiiTypes{1} << static_cast<unsigned>(it - kNames.begin());
  }
  return types;
}

bool luhn_valid(std::string_view text) {
  const std::string digits = digits_of(text);
  if (digits.size() < 12 || digits.size() > 19) return false;
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool iban_valid(std::string_view text) {
  std::string iban;
  for (char c : text) {
    if (c == ' ') continue;
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
    iban += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (iban.size() < 15 || iban.size() > 34) return false;
  if (!std::isalpha(static_cast<unsigned char>(iban[0])) || !std::isalpha(static_cast<unsigned char>(iban[1])) ||
      !std::isdigit(static_cast<unsigned char>(iban[2])) || !std::isdigit(static_cast<unsigned char>(iban[3]))) {
    return false;
  }
  // Move the country and check digits to the end, letters become 10..35, the number mod 97 must be 1.
  const std::string rearranged = iban.substr(4) + iban.substr(0, 4);
  int remainder = 0;
  for (char c : rearranged) {
    const int value = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'A' + 10;
    remainder = value >= 10 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
  }
  return remainder == 1;
}

std::vector<PiiMatch> find_pii(std::string_view text, PiiTypes types) {
  text = text.substr(0, kMaxPiiScanBytes);
  static const RE2 email(R"(([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}))");
  static const RE2 iban(R"(([A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}))");
  static const RE2 card(R"((\d(?:[ -]?\d){11,18}))");
  static const RE2 ssn(R"((\d{3}-\d{2}-\d{4}))");
  static const RE2 nino(R"(((?i:[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D])))");
  static const RE2 ipv4(R"(((?:\d{1,3}\.){3}\d{1,3}))");
  static const RE2 ipv6(R"(([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:(?:\d{1,3}\.){3}\d{1,3})?))");
  static const RE2 phone(R"((\+?(?:\(\d{1,5}\)[ .-]?)?\d{1,5}(?:[ .\-/]?\(?\d{1,5}\)?){1,6}))");

  // In priority order: a later kind never claims bytes an earlier one found.
  std::vector<PiiMatch> found;
  const auto wanted = [&](PiiType type) { return (types & pii_bit(type)) != 0; };
  const auto always = [](std::string_view) { return true; };
  if (wanted(PiiType::email)) scan(text, email, PiiType::email, always, found);
  if (wanted(PiiType::iban)) scan(text, iban, PiiType::iban, iban_valid, found);
  if (wanted(PiiType::card)) scan(text, card, PiiType::card, luhn_valid, found);
  if (wanted(PiiType::national_id)) {
    scan(text, ssn, PiiType::national_id, valid_ssn, found);
    scan(text, nino, PiiType::national_id, always, found);
  }
  if (wanted(PiiType::ip_address)) {
    scan(text, ipv4, PiiType::ip_address, valid_ip, found);
    scan(text, ipv6, PiiType::ip_address, valid_ip, found);
  }
  if (wanted(PiiType::phone)) scan(text, phone, PiiType::phone, plausible_phone, found);

  std::vector<PiiMatch> kept;
  for (const auto& match : found) {
    const bool overlaps = std::any_of(kept.begin(), kept.end(), [&](const PiiMatch& other) {
      return match.begin < other.end && other.begin < match.end;
    });
    if (!overlaps) kept.push_back(match);
  }
  std::sort(kept.begin(), kept.end(), [](const PiiMatch& a, const PiiMatch& b) { return a.begin < b.begin; });
  return kept;
}

std::string redact_pii(std::string_view text, PiiTypes types) {
  text = text.substr(0, kMaxPiiScanBytes);
  std::string out;
  out.reserve(text.size());
  std::size_t at = 0;
  for (const auto& match : find_pii(text, types)) {
    out.append(text.substr(at, match.begin - at));
    out.append(pii_placeholder(match.type));
    at = match.end;
  }
  out.append(text.substr(at));
  return out;
}

}  // namespace parley::guard
