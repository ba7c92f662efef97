#include "engine/sampling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

namespace parley::engine {
namespace {

SamplingParams plain(float temperature) {
  SamplingParams p;
  p.temperature = temperature;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = 1234;
  return p;
}

TEST(Sampler, GreedyPicksTheLargestLogit) {
  Sampler sampler(plain(0.0f), 5);
  std::vector<float> logits{0.1f, 3.0f, -1.0f, 2.9f, 0.0f};
  EXPECT_EQ(sampler.sample(logits.data()), 1);
}

TEST(Sampler, SameSeedSameDraws) {
  auto params = plain(1.0f);
  Sampler a(params, 4), b(params, 4);
  params.seed = 99;
  Sampler c(params, 4);
  int differences = 0;
  for (int i = 0; i < 200; ++i) {
    std::vector<float> la{0.0f, 0.5f, 1.0f, 0.2f}, lb = la, lc = la;
    const int32_t x = a.sample(la.data());
    EXPECT_EQ(x, b.sample(lb.data()));
    differences += x != c.sample(lc.data()) ? 1 : 0;
  }
  EXPECT_GT(differences, 20);  // another seed gives another sequence
}

// Frequencies of 20000 draws follow softmax(logits / T): each within 5 standard deviations of its expectation.
TEST(Sampler, DrawsFollowTheTemperedDistribution) {
  const std::vector<float> logits{1.0f, 0.0f, -1.0f, 0.5f};
  for (float temperature : {0.5f, 1.0f, 2.0f}) {
    Sampler sampler(plain(temperature), 4);
    std::vector<double> expected(4);
    double sum = 0;
    for (int i = 0; i < 4; ++i) sum += expected[i] = std::exp(logits[i] / temperature);
    std::vector<int> counts(4, 0);
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
      auto copy = logits;
      ++counts[static_cast<std::size_t>(sampler.sample(copy.data()))];
    }
    for (int i = 0; i < 4; ++i) {
      const double p = expected[i] / sum;
      EXPECT_NEAR(counts[i], n * p, 5 * std::sqrt(n * p * (1 - p)) + 1) << "T=" << temperature << " token " << i;
    }
  }
}

TEST(Sampler, TopKTopPAndMinPExcludeUnlikelyTokens) {
  const std::vector<float> logits{2.0f, 1.9f, 0.0f, -3.0f, 1.0f};
  auto drawn = [&](SamplingParams params) {
    Sampler sampler(params, 5);
    std::map<int, int> seen;
    for (int i = 0; i < 3000; ++i) {
      auto copy = logits;
      ++seen[sampler.sample(copy.data())];
    }
    return seen;
  };
  auto top_k = plain(1.0f);
  top_k.top_k = 2;
  for (const auto& [token, count] : drawn(top_k)) EXPECT_TRUE(token == 0 || token == 1) << token;
  // Probabilities (T=1): 0.43, 0.39, 0.06, 0.003, 0.12: top_p 0.5 keeps {0, 1}.
  auto top_p = plain(1.0f);
  top_p.top_p = 0.5f;
  for (const auto& [token, count] : drawn(top_p)) EXPECT_TRUE(token == 0 || token == 1) << token;
  // min_p 0.2 keeps tokens with p >= 0.2 * 0.43: {0, 1, 4}.
  auto min_p = plain(1.0f);
  min_p.min_p = 0.2f;
  const auto seen = drawn(min_p);
  for (const auto& [token, count] : seen) EXPECT_TRUE(token == 0 || token == 1 || token == 4) << token;
  EXPECT_EQ(seen.count(4), 1u);
}

TEST(Sampler, PenaltiesLowerRecentTokens) {
  auto params = plain(0.0f);
  params.repeat_penalty = 2.0f;
  params.frequency_penalty = 0.5f;
  params.presence_penalty = 0.25f;
  params.repeat_last_n = 3;
  Sampler sampler(params, 4);
  for (int32_t token : {0, 1, 1, 2}) sampler.accept(token);  // window keeps the last 3: 1, 1, 2
  std::vector<float> logits{4.0f, 4.0f, -1.0f, 0.5f};
  EXPECT_EQ(sampler.sample(logits.data()), 0);  // token 0 left the window and is untouched
  EXPECT_FLOAT_EQ(logits[0], 4.0f);
  EXPECT_FLOAT_EQ(logits[1], 4.0f / 2.0f - 2 * 0.5f - 0.25f);
  EXPECT_FLOAT_EQ(logits[2], -1.0f * 2.0f - 0.5f - 0.25f);
  EXPECT_FLOAT_EQ(logits[3], 0.5f);
}

TEST(Sampler, ValidateRejectsOutOfRangeParameters) {
  SamplingParams p;
  EXPECT_TRUE(validate(p).ok());
  p.top_p = 0.0f;
  EXPECT_FALSE(validate(p).ok());
  p = {};
  p.top_k = -1;
  EXPECT_FALSE(validate(p).ok());
  p = {};
  p.temperature = NAN;
  EXPECT_FALSE(validate(p).ok());
  p = {};
  p.repeat_penalty = 0.0f;
  EXPECT_FALSE(validate(p).ok());
  p = {};
  p.min_p = 1.5f;
  EXPECT_FALSE(validate(p).ok());
}

}  // namespace
}  // namespace parley::engine
