#include <gtest/gtest.h>

#include "guard/pii.h"

namespace parley::guard {
namespace {

TEST(Pii, ChecksumsOfCardsAndIbans) {
  EXPECT_TRUE(luhn_valid("4111 1111 1111 1111"));
  EXPECT_TRUE(luhn_valid("5500-0000-0000-0004"));
  EXPECT_FALSE(luhn_valid("4111 1111 1111 1112"));
  EXPECT_TRUE(iban_valid("DE89 3704 0044 0532 0130 00"));
  EXPECT_TRUE(iban_valid("gb82west12345698765432"));
  EXPECT_FALSE(iban_valid("DE89 3704 0044 0532 0130 01"));
  EXPECT_FALSE(iban_valid("DE89"));
}

TEST(Pii, RedactsEachKindWithATypedPlaceholder) {
  EXPECT_EQ(redact_pii("Mail me at jane.doe+shop@example.co.uk please"), "Mail me at [EMAIL] please");
  EXPECT_EQ(redact_pii("Card 4111 1111 1111 1111 exp 12/29"), "Card [CARD] exp 12/29");
  EXPECT_EQ(redact_pii("IBAN: DE89 3704 0044 0532 0130 00."), "IBAN: [IBAN].");
  EXPECT_EQ(redact_pii("SSN 123-45-6789"), "SSN [NATIONAL_ID]");
  EXPECT_EQ(redact_pii("NI number AB 12 34 56 C"), "NI number [NATIONAL_ID]");
  EXPECT_EQ(redact_pii("from 203.0.113.7 and 2001:db8::1"), "from [IP] and [IP]");
  EXPECT_EQ(redact_pii("call +1 (206) 555-0100 or 030 1234 5678"), "call [PHONE] or [PHONE]");
  EXPECT_EQ(redact_pii("Tel: +4915112345678"), "Tel: [PHONE]");
}

TEST(Pii, LeavesLookalikesAlone) {
  for (const char* text : {"Order 123456789 shipped on 2024-05-01", "Version 1.2.3 is out", "It costs $1,299.00",
                           "Card 4111 1111 1111 1112 is not a valid number", "Open 9:00-17:30 daily",
                           "The model number is SM-G970U", "Frame sizes 48 52 56 cm", "Invalid DE89 3704 0044 0532 0130 01"}) {
    EXPECT_EQ(redact_pii(text), text) << text;
  }
}

TEST(Pii, SelectsKindsAndReportsFindings) {
  const std::string text = "jane@example.com from 198.51.100.2";
  EXPECT_EQ(redact_pii(text, pii_bit(PiiType::email)), "[EMAIL] from 198.51.100.2");
  const auto found = find_pii(text);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].type, PiiType::email);
  EXPECT_EQ(text.substr(found[1].begin, found[1].end - found[1].begin), "198.51.100.2");
  std::vector<std::string> unknown;
  EXPECT_EQ(parse_pii_types("email, card,bogus", &unknown), pii_bit(PiiType::email) | pii_bit(PiiType::card));
  EXPECT_EQ(unknown, std::vector<std::string>{"bogus"});
  EXPECT_EQ(parse_pii_types("all"), kAllPii);
  EXPECT_EQ(parse_pii_types("none"), 0u);
}

TEST(Pii, HostileInputIsBounded) {
  std::string digits(2 * kMaxPiiScanBytes, '7');
  EXPECT_LE(redact_pii(digits).size(), kMaxPiiScanBytes);
  EXPECT_NO_THROW(redact_pii(std::string("\xff@\xfe.com", 9)));
}

}  // namespace
}  // namespace parley::guard
