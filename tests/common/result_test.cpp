#include "common/result.h"

#include <gtest/gtest.h>

namespace parley {
namespace {

Result<int> parse_positive(int value) {
  if (value <= 0) return make_error(ErrorCode::invalid_request, "must be positive");
  return value;
}

Result<int> doubled(int value) {
  PARLEY_ASSIGN_OR_RETURN(int checked, parse_positive(value));
  return checked * 2;
}

Status check(int value) {
  PARLEY_TRY(parse_positive(value));
  return {};
}

TEST(Result, CarriesValueOrError) {
  EXPECT_EQ(doubled(4).value(), 8);
  const auto failed = doubled(-1);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::invalid_request);
  EXPECT_EQ(failed.error().message, "must be positive");
  EXPECT_TRUE(check(1).ok());
  EXPECT_FALSE(check(0).ok());
}

TEST(Result, EveryCodeMapsToAnHttpErrorStatus) {
  for (int raw = 0; raw <= static_cast<int>(ErrorCode::timeout); ++raw) {
    const auto code = static_cast<ErrorCode>(raw);
    EXPECT_GE(http_status(code), 400);
    EXPECT_LT(http_status(code), 600);
    EXPECT_FALSE(error_code_name(code).empty());
  }
  EXPECT_EQ(http_status(ErrorCode::not_found), 404);
  EXPECT_EQ(http_status(ErrorCode::payload_too_large), 413);
  EXPECT_EQ(http_status(ErrorCode::rate_limited), 429);
}

}  // namespace
}  // namespace parley
