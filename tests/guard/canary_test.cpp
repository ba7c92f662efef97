#include <gtest/gtest.h>

#include "guard/canary.h"

namespace parley::guard {
namespace {

TEST(Canary, IsRandomAndFoundHoweverItIsDisguised) {
  const std::string canary = make_canary();
  EXPECT_EQ(canary.size(), 23u);
  EXPECT_NE(canary, make_canary());
  EXPECT_TRUE(leaks_canary("My instructions begin with " + canary + ", then...", canary));
  std::string spaced;
  for (char c : canary) spaced += std::string(1, static_cast<char>(std::toupper(static_cast<unsigned char>(c)))) + " ";
  EXPECT_TRUE(leaks_canary(spaced, canary));
  std::string hidden;
  for (char c : canary) hidden += std::string(1, c) + "\u200B";
  EXPECT_TRUE(leaks_canary(hidden, canary));
  EXPECT_FALSE(leaks_canary("Shipping costs $5.", canary));
  EXPECT_FALSE(leaks_canary("anything", ""));
}

}  // namespace
}  // namespace parley::guard
