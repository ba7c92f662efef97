#include "engine/ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace parley::engine::ops {
namespace {

TEST(Ops, RmsNormScalesToUnitRootMeanSquare) {
  const std::vector<float> x{1, -2, 3, -4};
  const std::vector<float> w{1, 1, 2, 0.5f};
  std::vector<float> out(4);
  rms_norm(x.data(), w.data(), 4, 0.0f, out.data());
  const float rms = std::sqrt((1 + 4 + 9 + 16) / 4.0f);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(out[i], x[i] / rms * w[i], 1e-6f);
}

TEST(Ops, LayerNormCentresAndScales) {
  const std::vector<float> x{1, 2, 3, 6};
  const std::vector<float> w{1, 1, 1, 1}, b{0, 0, 0, 1};
  std::vector<float> out(4);
  layer_norm(x.data(), w.data(), b.data(), 4, 0.0f, out.data());
  const float mean = 3, sd = std::sqrt((4 + 1 + 0 + 9) / 4.0f);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(out[i], (x[i] - mean) / sd + b[i], 1e-6f);
}

// Normal RoPE rotates adjacent pairs (0,1), (2,3); NeoX rotates (0,2), (1,3) for 4 dimensions. Pair i turns by
// pos * base^(-2i/n_rot).
TEST(Ops, RopeRotatesTheRightPairsByTheRightAngles) {
  const int pos = 3;
  const float base = 100.0f;
  const float angle0 = pos * 1.0f, angle1 = pos * std::pow(base, -2.0f / 4);
  float cos[2], sin[2];
  rope_angles(4, pos, base, cos, sin);
  std::vector<float> normal{1, 0, 1, 0};
  rope(normal.data(), 4, cos, sin, false);
  EXPECT_NEAR(normal[0], std::cos(angle0), 1e-5f);
  EXPECT_NEAR(normal[1], std::sin(angle0), 1e-5f);
  EXPECT_NEAR(normal[2], std::cos(angle1), 1e-5f);
  EXPECT_NEAR(normal[3], std::sin(angle1), 1e-5f);
  std::vector<float> neox{1, 1, 0, 0};
  rope(neox.data(), 4, cos, sin, true);
  EXPECT_NEAR(neox[0], std::cos(angle0), 1e-5f);
  EXPECT_NEAR(neox[2], std::sin(angle0), 1e-5f);
  EXPECT_NEAR(neox[1], std::cos(angle1), 1e-5f);
  EXPECT_NEAR(neox[3], std::sin(angle1), 1e-5f);
  // Only the first n_rot dimensions turn.
  rope_angles(2, pos, base, cos, sin);
  std::vector<float> partial{1, 0, 7, 8};
  rope(partial.data(), 2, cos, sin, false);
  EXPECT_EQ(partial[2], 7);
  EXPECT_EQ(partial[3], 8);
  // Position 0 is the identity.
  rope_angles(4, 0, base, cos, sin);
  std::vector<float> still{0.5f, -1, 2, 3};
  rope(still.data(), 4, cos, sin, true);
  EXPECT_EQ(still, (std::vector<float>{0.5f, -1, 2, 3}));
}

TEST(Ops, GeluUsesTheTanhApproximation) {
  std::vector<float> g{0, 1, -1, 10};
  gelu(g.data(), 4);
  EXPECT_NEAR(g[0], 0, 1e-7f);
  EXPECT_NEAR(g[1], 0.841192f, 1e-5f);  // tanh approximation of GELU(1)
  EXPECT_NEAR(g[2], -0.158808f, 1e-5f);
  EXPECT_NEAR(g[3], 10, 1e-5f);
}

}  // namespace
}  // namespace parley::engine::ops
