#include "engine/quants.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/fp16.h"
#include "engine/kernels/kernels.h"

namespace parley::engine {
namespace {

std::vector<float> random_floats(std::size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> values(n);
  for (auto& v : values) v = dist(rng);
  return values;
}

std::vector<uint8_t> quantized(TensorType type, const std::vector<float>& x) {
  std::vector<uint8_t> bytes(*tensor_row_bytes(type, x.size()));
  quantize_row(type, x.data(), bytes.data(), static_cast<int64_t>(x.size()));
  return bytes;
}

std::vector<float> dequantized(TensorType type, const std::vector<uint8_t>& bytes, std::size_t n) {
  std::vector<float> values(n);
  dequantize_row(type, bytes.data(), values.data(), static_cast<int64_t>(n));
  return values;
}

TEST(Fp16, ConvertsKnownValuesAndRoundsToNearestEven) {
  EXPECT_EQ(fp32_to_fp16(1.0f), 0x3c00);
  EXPECT_EQ(fp32_to_fp16(-2.0f), 0xc000);
  EXPECT_EQ(fp32_to_fp16(65504.0f), 0x7bff);
  EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7c00);  // halfway to the next power: rounds to infinity
  EXPECT_EQ(fp32_to_fp16(5.9604644775390625e-8f), 0x0001);
  EXPECT_EQ(fp32_to_fp16(1.0f + 1.0f / 2048.0f), 0x3c00);  // tie, even mantissa kept
  EXPECT_EQ(fp32_to_fp16(1.0f + 3.0f / 2048.0f), 0x3c02);  // tie, rounds up to even
  EXPECT_TRUE(std::isnan(fp16_to_fp32(fp32_to_fp16(std::nanf("")))));
  EXPECT_EQ(fp32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16_to_fp32(0xc000), -2.0f);
  EXPECT_EQ(fp32_to_bf16(bits_to_float(0x3f808000u)), 0x3f80);  // tie to even
  EXPECT_EQ(fp32_to_bf16(bits_to_float(0x3f818000u)), 0x3f82);
}

TEST(Fp16, EveryFiniteHalfRoundTrips) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0) continue;  // NaN payloads need not survive
    EXPECT_EQ(fp32_to_fp16(fp16_to_fp32(static_cast<uint16_t>(h))), h) << std::hex << h;
  }
}

TEST(Quants, KScalePackingRoundTripsAllSixBitValues) {
  for (int base = 0; base < 64; ++base) {
    uint8_t scales[8], mins[8], packed[12];
    for (int j = 0; j < 8; ++j) {
      scales[j] = static_cast<uint8_t>((base + 7 * j) % 64);
      mins[j] = static_cast<uint8_t>((base * 3 + 11 * j) % 64);
    }
    pack_k_scales_mins(scales, mins, packed);
    for (int j = 0; j < 8; ++j) {
      uint8_t scale, min;
      unpack_k_scale_min(j, packed, scale, min);
      EXPECT_EQ(scale, scales[j]);
      EXPECT_EQ(min, mins[j]);
    }
  }
}

// Layout tests: blocks written byte by byte from the format description, decoded values checked by hand.
TEST(Quants, Q4_0LayoutLowNibblesFirst) {
  BlockQ4_0 block{};
  block.d = fp32_to_fp16(2.0f);
  for (int j = 0; j < 16; ++j) block.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  float y[32];
  dequantize_row(TensorType::q4_0, &block, y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], (j - 8) * 2.0f);
    EXPECT_EQ(y[j + 16], (7 - j) * 2.0f);
  }
}

TEST(Quants, Q4_1LayoutAddsMinimum) {
  BlockQ4_1 block{};
  block.d = fp32_to_fp16(0.5f);
  block.m = fp32_to_fp16(-3.0f);
  for (int j = 0; j < 16; ++j) block.qs[j] = static_cast<uint8_t>(j | (j << 4));
  float y[32];
  dequantize_row(TensorType::q4_1, &block, y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], j * 0.5f - 3.0f);
    EXPECT_EQ(y[j + 16], j * 0.5f - 3.0f);
  }
}

TEST(Quants, Q5LayoutsTakeFifthBitFromQh) {
  BlockQ5_0 block0{};
  block0.d = fp32_to_fp16(1.0f);
  std::memset(block0.qs, 0x21, sizeof block0.qs);  // low nibble 1, high nibble 2
  const uint32_t qh = (1u << 3) | (1u << 20);
  std::memcpy(block0.qh, &qh, 4);
  float y[32];
  dequantize_row(TensorType::q5_0, &block0, y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], j == 3 ? 1.0f : -15.0f) << j;
    EXPECT_EQ(y[j + 16], j == 4 ? 2.0f : -14.0f) << j;
  }
  BlockQ5_1 block1{};
  block1.d = fp32_to_fp16(1.0f);
  block1.m = fp32_to_fp16(10.0f);
  std::memset(block1.qs, 0x21, sizeof block1.qs);
  std::memcpy(block1.qh, &qh, 4);
  dequantize_row(TensorType::q5_1, &block1, y, 32);
  EXPECT_EQ(y[3], 27.0f);
  EXPECT_EQ(y[0], 11.0f);
  EXPECT_EQ(y[20], 28.0f);
  EXPECT_EQ(y[16], 12.0f);
}

// Sub-block j has scale j+1 and minimum j, hand-packed into the 12 scale bytes.
constexpr uint8_t kHandPackedScales[12] = {1, 2, 3, 4, 0, 1, 2, 3, 5 | (4 << 4), 6 | (5 << 4), 7 | (6 << 4),
                                           8 | (7 << 4)};

TEST(Quants, Q4_KLayoutChunksOfLowThenHighNibbles) {
  BlockQ4_K block{};
  block.d = fp32_to_fp16(1.0f);
  block.dmin = fp32_to_fp16(1.0f);
  std::memcpy(block.scales, kHandPackedScales, 12);
  for (int i = 0; i < 128; ++i) block.qs[i] = static_cast<uint8_t>((i % 16) | ((15 - i % 16) << 4));
  float y[256];
  dequantize_row(TensorType::q4_k, &block, y, 256);
  for (int chunk = 0; chunk < 4; ++chunk) {
    for (int l = 0; l < 32; ++l) {
      EXPECT_EQ(y[64 * chunk + l], static_cast<float>((2 * chunk + 1) * (l % 16) - 2 * chunk));
      EXPECT_EQ(y[64 * chunk + 32 + l], static_cast<float>((2 * chunk + 2) * (15 - l % 16) - (2 * chunk + 1)));
    }
  }
}

TEST(Quants, Q5_KLayoutHighBitsPerChunk) {
  BlockQ5_K block{};
  block.d = fp32_to_fp16(1.0f);
  block.dmin = fp32_to_fp16(1.0f);
  std::memcpy(block.scales, kHandPackedScales, 12);
  std::memset(block.qs, 0, sizeof block.qs);
  // Element l of sub-block s gets bit 4 when bit s of qh[l] is set; set it for l == s only.
  for (int l = 0; l < 32; ++l) block.qh[l] = l < 8 ? static_cast<uint8_t>(1u << l) : 0;
  float y[256];
  dequantize_row(TensorType::q5_k, &block, y, 256);
  for (int sub = 0; sub < 8; ++sub) {
    for (int l = 0; l < 32; ++l) {
      const float level = (l == sub) ? 16.0f : 0.0f;
      EXPECT_EQ(y[32 * sub + l], (sub + 1) * level - sub) << sub << " " << l;
    }
  }
}

TEST(Quants, Q6_KLayoutLowAndHighBitPlanes) {
  BlockQ6_K block{};
  block.d = fp32_to_fp16(1.0f);
  for (int g = 0; g < 16; ++g) block.scales[g] = static_cast<int8_t>(g % 2 ? -(g + 1) : g + 1);
  auto stored = [](int e) { return (e * 7) % 64; };
  for (int half = 0; half < 2; ++half) {
    for (int l = 0; l < 32; ++l) {
      const int base = 128 * half + l;
      const int q1 = stored(base), q2 = stored(base + 32), q3 = stored(base + 64), q4 = stored(base + 96);
      block.ql[64 * half + l] = static_cast<uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
      block.ql[64 * half + l + 32] = static_cast<uint8_t>((q2 & 0xF) | ((q4 & 0xF) << 4));
      block.qh[32 * half + l] =
          static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
    }
  }
  float y[256];
  dequantize_row(TensorType::q6_k, &block, y, 256);
  for (int e = 0; e < 256; ++e) EXPECT_EQ(y[e], block.scales[e / 16] * (stored(e) - 32)) << e;
}

struct RoundTripCase {
  TensorType type;
  float max_error_per_unit;  // bound on |x - dequant(quant(x))| for inputs of standard deviation 1
};

class QuantRoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(QuantRoundTrip, DequantizedValuesStayWithinTypeBound) {
  const auto [type, bound] = GetParam();
  const std::size_t n = 256 * 7;
  const auto x = random_floats(n, 42);
  const auto y = dequantized(type, quantized(type, x), n);
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, static_cast<double>(std::fabs(x[i] - y[i])));
  EXPECT_LE(worst, bound) << tensor_type_name(type);
  // A zero row stays exactly zero (no division by a zero scale).
  const std::vector<float> zeros(n, 0.0f);
  for (float v : dequantized(type, quantized(type, zeros), n)) EXPECT_EQ(v, 0.0f);
}

// Bounds: half a quantization step of a block spanning about +-3.5 standard deviations, plus scale rounding.
INSTANTIATE_TEST_SUITE_P(AllTypes, QuantRoundTrip,
                         ::testing::Values(RoundTripCase{TensorType::f32, 0.0f},
                                           RoundTripCase{TensorType::f16, 2e-3f},
                                           RoundTripCase{TensorType::bf16, 2e-2f},
                                           RoundTripCase{TensorType::q8_0, 0.02f},
                                           RoundTripCase{TensorType::q8_1, 0.02f},
                                           RoundTripCase{TensorType::q8_k, 0.02f},
                                           RoundTripCase{TensorType::q4_0, 0.32f},
                                           RoundTripCase{TensorType::q4_1, 0.26f},
                                           RoundTripCase{TensorType::q5_0, 0.16f},
                                           RoundTripCase{TensorType::q5_1, 0.13f},
                                           RoundTripCase{TensorType::q4_k, 0.35f},
                                           RoundTripCase{TensorType::q5_k, 0.18f},
                                           RoundTripCase{TensorType::q6_k, 0.08f}),
                         [](const auto& test_info) { return std::string(tensor_type_name(test_info.param.type)); });

class ScalarDot : public ::testing::TestWithParam<TensorType> {};

// The scalar dot product of a weight row and a quantized activation equals the float dot product of their
// dequantized values (integer sums are exact; only the float accumulation order differs).
TEST_P(ScalarDot, MatchesDotOfDequantizedValues) {
  const TensorType weight_type = GetParam();
  const TensorType act_type = activation_type(weight_type);
  const auto& scalar = kernels::kernels_for(kernels::Isa::scalar);
  for (int64_t n : {256, 256 * 5}) {
    const auto w = quantized(weight_type, random_floats(static_cast<std::size_t>(n), 1));
    const auto a = quantized(act_type, random_floats(static_cast<std::size_t>(n), 2));
    const auto wf = dequantized(weight_type, w, static_cast<std::size_t>(n));
    const auto af = dequantized(act_type, a, static_cast<std::size_t>(n));
    double expected = 0, magnitude = 0;
    for (int64_t i = 0; i < n; ++i) {
      expected += static_cast<double>(wf[i]) * af[i];
      magnitude += std::fabs(static_cast<double>(wf[i]) * af[i]);
    }
    // q8_1 carries fp16(d * sum(qs)) for the weight minimum's term; its rounding (2^-11 relative) is part of the
    // format, so allow it on top of float accumulation error.
    if (act_type == TensorType::q8_1) {
      const auto* blocks = reinterpret_cast<const BlockQ8_1*>(a.data());
      const std::size_t w_block_bytes = tensor_type_traits(weight_type).block_bytes;
      for (int64_t b = 0; b < n / 32; ++b) {
        uint16_t m;  // q4_1 and q5_1 both keep the fp16 minimum right after the fp16 scale
        std::memcpy(&m, w.data() + static_cast<std::size_t>(b) * w_block_bytes + 2, 2);
        magnitude += std::fabs(fp16_to_fp32(m) * fp16_to_fp32(blocks[b].s)) * (1.0 / 2048) / 1e-5;
      }
    }
    float got = 0;
    scalar.gemm[static_cast<int>(weight_type)](n, w.data(), w.size(), 1, a.data(), a.size(), 1, &got, 1);
    EXPECT_NEAR(got, expected, 1e-5 * magnitude) << tensor_type_name(weight_type) << " n=" << n;
  }
}

INSTANTIATE_TEST_SUITE_P(AllWeightTypes, ScalarDot,
                         ::testing::Values(TensorType::f32, TensorType::f16, TensorType::bf16, TensorType::q4_0,
                                           TensorType::q4_1, TensorType::q5_0, TensorType::q5_1, TensorType::q8_0,
                                           TensorType::q4_k, TensorType::q5_k, TensorType::q6_k),
                         [](const auto& test_info) { return std::string(tensor_type_name(test_info.param)); });

TEST(Quants, Q8_1StoresScaledSumAndQ8_KStoresGroupSums) {
  const auto x = random_floats(256, 9);
  const auto q81 = quantized(TensorType::q8_1, x);
  const auto* block = reinterpret_cast<const BlockQ8_1*>(q81.data());
  int sum = 0;
  for (int j = 0; j < 32; ++j) sum += block->qs[j];
  EXPECT_NEAR(fp16_to_fp32(block->s), fp16_to_fp32(block->d) * sum, 2e-3 * std::fabs(fp16_to_fp32(block->s)) + 1e-3);
  const auto q8k = quantized(TensorType::q8_k, x);
  const auto* kblock = reinterpret_cast<const BlockQ8_K*>(q8k.data());
  for (int g = 0; g < 16; ++g) {
    int group = 0;
    for (int l = 0; l < 16; ++l) group += kblock->qs[16 * g + l];
    EXPECT_EQ(kblock->bsums[g], group);
  }
}

}  // namespace
}  // namespace parley::engine
