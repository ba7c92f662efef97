// Every SIMD kernel against the scalar reference, at odd sizes that exercise every tile edge.
#include "engine/kernels/kernels.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <random>
#include <vector>

#include "engine/fp16.h"
#include "engine/quants.h"

namespace parley::engine::kernels {
namespace {

std::vector<float> random_floats(std::size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> values(n);
  for (auto& v : values) v = dist(rng);
  // Some all-zero stretches (zero scales) and an exact tie of magnitudes with opposite signs.
  if (n >= 512) {
    std::fill(values.begin() + 256, values.begin() + 288, 0.0f);
    values[300] = 9.0f;
    values[301] = -9.0f;
  }
  return values;
}

std::vector<uint8_t> rows_of(TensorType type, const std::vector<float>& values, int64_t n) {
  const auto row_bytes = static_cast<std::size_t>(*tensor_row_bytes(type, static_cast<uint64_t>(n)));
  const auto rows = values.size() / static_cast<std::size_t>(n);
  std::vector<uint8_t> bytes(rows * row_bytes);
  for (std::size_t r = 0; r < rows; ++r) {
    quantize_row(type, values.data() + r * static_cast<std::size_t>(n), bytes.data() + r * row_bytes, n);
  }
  return bytes;
}

std::vector<Isa> simd_isas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::avx2, Isa::avx512}) {
    if (isa_supported(isa)) isas.push_back(isa);
  }
  return isas;
}

struct GemmShape {
  int64_t blocks;
  int64_t rows;
  int64_t acts;
};

class GemmAgainstScalar : public ::testing::TestWithParam<TensorType> {};

// Integer block sums are exact in both; only the order of float accumulation differs. Each result may carry the
// recursive-summation error bound (terms - 1) * FLT_EPSILON * sum(|terms|), so twice that separates the two.
TEST_P(GemmAgainstScalar, MatchesWithinSummationBound) {
  const TensorType type = GetParam();
  const TensorType act_type = activation_type(type);
  const auto block = static_cast<int64_t>(tensor_type_traits(type).block_elements == 1 ? 32 : tensor_type_traits(type).block_elements);
  std::vector<GemmShape> shapes;
  for (int64_t blocks : {1, 2, 3, 5, 7}) {
    for (int64_t rows : {1, 3, 4, 5, 9}) {
      for (int64_t acts : {1, 2, 3, 4, 5, 7}) shapes.push_back({blocks, rows, acts});
    }
  }
  for (int64_t blocks : {31, 127, 1023}) shapes.push_back({blocks, 5, 3});
  // Batched decoding (wide tiles) and prompt chunks (prepared weights) too.
  for (int64_t acts : {8, 9, 15, 16, 17, 33}) shapes.push_back({3, 9, acts});
  // Column-lane kernels: groups of 8 or 16 activation rows, whole and partial, at longer rows.
  for (int64_t blocks : {8, 9, 15, 16, 17, 31, 127}) {
    for (int64_t rows : {1, 5, 9}) {
      for (int64_t acts : {1, 6, 8, 11, 23}) shapes.push_back({blocks, rows, acts});
    }
  }
  // More rows than the kernels unpack or keep in L1 at once (chunks of 48 rows, of 32 KB).
  for (int64_t acts : {2, 6, 9, 19}) shapes.push_back({5, 101, acts});
  // f16 panels (16 and 32 rows wide, the last padded) against whole and partial tiles of 6, 12 and 16 activations.
  for (int64_t acts : {4, 12, 13, 29}) shapes.push_back({3, 70, acts});
  // Float types also at lengths that are not multiples of the vector width.
  const bool float_type = tensor_type_traits(type).block_elements == 1;
  for (const auto isa : simd_isas()) {
    const auto& simd = kernels_for(isa);
    const auto& scalar = kernels_for(Isa::scalar);
    for (const auto& shape : shapes) {
      for (int64_t tail : float_type ? std::vector<int64_t>{0, 1, 7} : std::vector<int64_t>{0}) {
        const int64_t n = shape.blocks * block + tail;
        const auto wf = random_floats(static_cast<std::size_t>(n * shape.rows), static_cast<uint32_t>(n + shape.rows));
        const auto af = random_floats(static_cast<std::size_t>(n * shape.acts), static_cast<uint32_t>(7 * n + shape.acts));
        const auto w = rows_of(type, wf, n);
        const auto a = rows_of(act_type, af, n);
        const std::size_t ws = w.size() / static_cast<std::size_t>(shape.rows);
        const std::size_t as = a.size() / static_cast<std::size_t>(shape.acts);
        const auto os = static_cast<std::size_t>(shape.rows + 2);  // padded stride: kernels must honour it
        std::vector<float> expected(os * static_cast<std::size_t>(shape.acts), -1.0f);
        std::vector<float> got(expected.size(), -1.0f);
        scalar.gemm[static_cast<int>(type)](n, w.data(), ws, shape.rows, a.data(), as, shape.acts, expected.data(), os);
        simd.gemm[static_cast<int>(type)](n, w.data(), ws, shape.rows, a.data(), as, shape.acts, got.data(), os);
        std::vector<float> wd(static_cast<std::size_t>(n)), ad(static_cast<std::size_t>(n));
        for (int64_t c = 0; c < shape.acts; ++c) {
          dequantize_row(act_type, a.data() + static_cast<std::size_t>(c) * as, ad.data(), n);
          for (int64_t r = 0; r < shape.rows; ++r) {
            dequantize_row(type, w.data() + static_cast<std::size_t>(r) * ws, wd.data(), n);
            double magnitude = 0;
            for (int64_t i = 0; i < n; ++i) magnitude += std::fabs(double(wd[i]) * ad[i]);
            const double terms = float_type ? double(n) : double(shape.blocks) * 8;
            const double bound = 2 * (terms + 16) * FLT_EPSILON * magnitude + 1e-6;
            const std::size_t at = static_cast<std::size_t>(c) * os + static_cast<std::size_t>(r);
            ASSERT_NEAR(got[at], expected[at], bound)
                << isa_name(isa) << " " << tensor_type_name(type) << " n=" << n << " rows=" << shape.rows
                << " acts=" << shape.acts << " at r=" << r << " c=" << c;
          }
          // Padding between output rows is untouched.
          for (std::size_t p = static_cast<std::size_t>(shape.rows); p < os; ++p) {
            ASSERT_EQ(got[static_cast<std::size_t>(c) * os + p], -1.0f);
          }
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllWeightTypes, GemmAgainstScalar,
                         ::testing::Values(TensorType::f32, TensorType::f16, TensorType::bf16, TensorType::q4_0,
                                           TensorType::q4_1, TensorType::q5_0, TensorType::q5_1, TensorType::q8_0,
                                           TensorType::q4_k, TensorType::q5_k, TensorType::q6_k),
                         [](const auto& test_info) { return std::string(tensor_type_name(test_info.param)); });

// Rows interleaved at load (q8_0 by 8 under VNNI, the k-quants by 16 under AVX-512 VBMI) against the scalar product
// of the same rows in the file's layout, within the same summation bound (per block: one exact integer sum, then
// float accumulation); and the layout's row reader against plain dequantization, exactly.
class InterleavedAgainstScalar : public ::testing::TestWithParam<TensorType> {};

TEST_P(InterleavedAgainstScalar, MatchesWithinSummationBound) {
  const TensorType type = GetParam();
  const TensorType act_type = activation_type(type);
  const auto block = static_cast<int64_t>(tensor_type_traits(type).block_elements);
  const int64_t group = interleaved_group_rows(type);
  const auto& scalar = kernels_for(Isa::scalar);
  bool tested = false;
  for (const auto isa : simd_isas()) {
    const auto& simd = kernels_for(isa);
    const GemmFn gemm = simd.gemm_interleaved[static_cast<int>(type)];
    if (gemm == nullptr) continue;
    tested = true;
    const std::vector<int64_t> block_counts =
        block == 32 ? std::vector<int64_t>{1, 3, 7, 28, 31, 127} : std::vector<int64_t>{1, 2, 3, 6, 7, 35};
    for (int64_t blocks : block_counts) {
      for (int64_t rows : {group, 2 * group, 5 * group}) {
        for (int64_t acts : {1, 2, 3, 4, 5, 7, 8, 9, 17}) {
          const int64_t n = blocks * block;
          const auto wf = random_floats(static_cast<std::size_t>(n * rows), static_cast<uint32_t>(3 * n + rows));
          const auto af = random_floats(static_cast<std::size_t>(n * acts), static_cast<uint32_t>(5 * n + acts));
          const auto w = rows_of(type, wf, n);
          const auto a = rows_of(act_type, af, n);
          const std::size_t ws = w.size() / static_cast<std::size_t>(rows);
          const std::size_t as = a.size() / static_cast<std::size_t>(acts);
          auto interleaved = w;
          std::vector<uint8_t> scratch(ws * static_cast<std::size_t>(group));
          for (int64_t r = 0; r < rows; r += group) {
            interleave_rows(type, interleaved.data() + static_cast<std::size_t>(r) * ws, blocks, scratch.data());
          }
          const auto os = static_cast<std::size_t>(rows + 3);  // padded stride
          std::vector<float> expected(os * static_cast<std::size_t>(acts), -1.0f);
          std::vector<float> got(expected.size(), -1.0f);
          scalar.gemm[static_cast<int>(type)](n, w.data(), ws, rows, a.data(), as, acts, expected.data(), os);
          gemm(n, interleaved.data(), ws, rows, a.data(), as, acts, got.data(), os);
          std::vector<float> wd(static_cast<std::size_t>(n)), wi(static_cast<std::size_t>(n)), ad(static_cast<std::size_t>(n));
          for (int64_t r = 0; r < rows; ++r) {
            dequantize_row(type, w.data() + static_cast<std::size_t>(r) * ws, wd.data(), n);
            const int64_t first = r / group * group;
            dequantize_interleaved_row(type, interleaved.data() + static_cast<std::size_t>(first) * ws,
                                       static_cast<int>(r - first), wi.data(), n);
            ASSERT_EQ(wi, wd) << tensor_type_name(type) << " row " << r << " of " << rows << ", " << blocks << " blocks";
          }
          for (int64_t c = 0; c < acts; ++c) {
            dequantize_row(act_type, a.data() + static_cast<std::size_t>(c) * as, ad.data(), n);
            for (int64_t r = 0; r < rows; ++r) {
              dequantize_row(type, w.data() + static_cast<std::size_t>(r) * ws, wd.data(), n);
              double magnitude = 0;
              for (int64_t i = 0; i < n; ++i) magnitude += std::fabs(double(wd[i]) * ad[i]);
              const double bound = 2 * (double(blocks) * 8 + 16) * FLT_EPSILON * magnitude + 1e-6;
              const std::size_t at = static_cast<std::size_t>(c) * os + static_cast<std::size_t>(r);
              ASSERT_NEAR(got[at], expected[at], bound)
                  << isa_name(isa) << " " << tensor_type_name(type) << " blocks=" << blocks << " rows=" << rows
                  << " acts=" << acts << " at r=" << r << " c=" << c;
            }
            for (std::size_t pad = static_cast<std::size_t>(rows); pad < os; ++pad) {
              ASSERT_EQ(got[static_cast<std::size_t>(c) * os + pad], -1.0f);
            }
          }
        }
      }
    }
  }
  if (!tested) GTEST_SKIP() << "no instruction set with an interleaved " << tensor_type_name(type) << " kernel on this CPU";
}

INSTANTIATE_TEST_SUITE_P(InterleavedTypes, InterleavedAgainstScalar,
                         ::testing::Values(TensorType::q8_0, TensorType::q4_k, TensorType::q5_k, TensorType::q6_k),
                         [](const auto& test_info) { return std::string(tensor_type_name(test_info.param)); });

TEST(QuantizeAgainstScalar, ActivationFormatsAreBitIdentical) {
  for (const auto isa : simd_isas()) {
    const auto& simd = kernels_for(isa);
    const auto& scalar = kernels_for(Isa::scalar);
    for (TensorType type : {TensorType::q8_0, TensorType::q8_1, TensorType::q8_k, TensorType::f16, TensorType::bf16}) {
      const int64_t block = type == TensorType::q8_k ? 256 : 32;
      for (int64_t blocks : {1, 2, 3, 5, 7, 31, 1023}) {
        const int64_t n = blocks * block;
        auto x = random_floats(static_cast<std::size_t>(n), static_cast<uint32_t>(blocks));
        if (n > 40) x[40] = 1e-40f;  // a subnormal input
        const auto bytes = static_cast<std::size_t>(*tensor_row_bytes(type, static_cast<uint64_t>(n)));
        std::vector<uint8_t> expected(bytes), got(bytes);
        scalar.quantize[static_cast<int>(type)](x.data(), expected.data(), n);
        simd.quantize[static_cast<int>(type)](x.data(), got.data(), n);
        ASSERT_EQ(got, expected) << isa_name(isa) << " " << tensor_type_name(type) << " n=" << n;
      }
    }
  }
}

// Scores and weights are the same arithmetic in another order (and the SIMD exponential is within 2e-7 of the
// library's), so outputs (weighted means of values of magnitude ~1) agree to 1e-5.
TEST(AttendAgainstScalar, OutputsAgreeWithinSummationError) {
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (const auto isa : simd_isas()) {
    const auto& simd = kernels_for(isa);
    const auto& scalar = kernels_for(Isa::scalar);
    for (int head_dim : {8, 64, 80, 128}) {
      for (int n_heads : {1, 3, 7}) {
        for (int n_queries : {1, 5, 32}) {
          for (int n_keys : {1, 2, 31, 32}) {
            const auto hd = static_cast<std::size_t>(head_dim);
            const std::size_t value_stride = hd * 3;  // rows of several heads
            const std::size_t q_stride = hd * static_cast<std::size_t>(n_heads) + 4;
            // Two blocks folded in one after another, the second with causal masks.
            std::vector<uint16_t> keys(2 * hd * kAttendBlock), values(2 * value_stride * kAttendBlock);
            for (auto& k : keys) k = fp32_to_fp16(dist(rng));
            for (auto& v : values) v = fp32_to_fp16(dist(rng));
            std::vector<float> q(q_stride * static_cast<std::size_t>(n_queries));
            for (auto& v : q) v = dist(rng);
            std::vector<int> all(static_cast<std::size_t>(n_queries), kAttendBlock), causal;
            for (int i = 0; i < n_queries; ++i) causal.push_back(i % (n_keys + 1));
            const std::size_t n_states = static_cast<std::size_t>(n_queries * n_heads);
            std::vector<float> acc1(n_states * hd, 0.0f), acc2(acc1);
            std::vector<AttentionState> s1, s2;
            for (std::size_t i = 0; i < n_states; ++i) {
              s1.push_back({-INFINITY, 0.0f, acc1.data() + i * hd});
              s2.push_back({-INFINITY, 0.0f, acc2.data() + i * hd});
            }
            for (auto [set, states] : {std::pair{&scalar, &s1}, std::pair{&simd, &s2}}) {
              set->attend(head_dim, n_queries, n_heads, q.data(), q_stride, keys.data(), values.data(), value_stride,
                          kAttendBlock, all.data(), 0.3f, states->data());
              set->attend(head_dim, n_queries, n_heads, q.data(), q_stride, keys.data() + hd * kAttendBlock,
                          values.data() + value_stride * kAttendBlock, value_stride, n_keys, causal.data(), 0.3f,
                          states->data());
            }
            for (std::size_t i = 0; i < n_states; ++i) {
              EXPECT_NEAR(s2[i].max, s1[i].max, 1e-5f * (1 + std::fabs(s1[i].max)));
              EXPECT_NEAR(s2[i].sum, s1[i].sum, 1e-5f * s1[i].sum);
              for (std::size_t d = 0; d < hd; ++d) {
                ASSERT_NEAR(s2[i].acc[d] / s2[i].sum, s1[i].acc[d] / s1[i].sum, 1e-5f)
                    << isa_name(isa) << " head_dim=" << head_dim << " heads=" << n_heads << " queries=" << n_queries
                    << " keys=" << n_keys << " state=" << i << " d=" << d;
              }
            }
          }
        }
      }
    }
  }
}

// An encoder's attention over a whole sequence, in f32: the same arithmetic in another order, with the SIMD
// exponential within 2e-7 of the library's. Outputs are weighted means of values of magnitude ~1: they agree to 2e-5.
// Sizes cover partial groups of four queries, key counts around the 16- and 32-position steps, and head sizes that
// are not multiples of the vector width.
TEST(AttendEncoderAgainstScalar, OutputsAgreeWithinSummationError) {
  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (const auto isa : simd_isas()) {
    const auto& simd = kernels_for(isa);
    const auto& scalar = kernels_for(Isa::scalar);
    for (int head_dim : {8, 32, 40, 64, 100}) {
      for (int n_queries : {1, 3, 4, 5, 17}) {
        for (int n_keys : {1, 7, 31, 32, 33, 100}) {
          const auto hd = static_cast<std::size_t>(head_dim);
          const std::size_t q_stride = hd * 3 + 1, kv_stride = hd * 2 + 3, out_stride = hd + 5;
          std::vector<float> q(q_stride * static_cast<std::size_t>(n_queries)), k(kv_stride * static_cast<std::size_t>(n_keys));
          std::vector<float> v(k.size());
          for (auto* values : {&q, &k, &v}) {
            for (auto& x : *values) x = dist(rng);
          }
          std::vector<float> expected(out_stride * static_cast<std::size_t>(n_queries), -7.0f), got(expected);
          const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
          scalar.attend_encoder(head_dim, n_queries, n_keys, q.data(), q_stride, k.data(), v.data(), kv_stride, scale,
                                expected.data(), out_stride);
          simd.attend_encoder(head_dim, n_queries, n_keys, q.data(), q_stride, k.data(), v.data(), kv_stride, scale,
                              got.data(), out_stride);
          for (std::size_t i = 0; i < got.size(); ++i) {
            ASSERT_NEAR(got[i], expected[i], 2e-5f) << isa_name(isa) << " head_dim=" << head_dim
                                                    << " queries=" << n_queries << " keys=" << n_keys << " at " << i;
          }
        }
      }
    }
  }
}

// GELU through tanh(u) = 1 - 2 / (e^2u + 1) with the SIMD exponential: near u = 0 the subtraction loses the
// relative precision of the result, so the bound is absolute, 1e-6 of max(1, |x|); far out it saturates to x and 0.
TEST(GeluAgainstScalar, AgreesWithinOneMillionth) {
  std::vector<float> x;
  for (int i = 0; i < 1027; ++i) x.push_back(static_cast<float>(i - 513) * 0.02f);
  x[0] = -100.0f;
  x[1] = 100.0f;
  x[2] = 1e-20f;
  std::vector<float> expected = x;
  kernels_for(Isa::scalar).gelu(expected.data(), static_cast<int64_t>(expected.size()));
  EXPECT_NEAR(expected[613], 2.0f * 0.5f * (1 + std::tanh(0.7978845608f * (2.0f + 0.044715f * 8.0f))), 1e-6f);
  for (const auto isa : simd_isas()) {
    std::vector<float> got = x;
    kernels_for(isa).gelu(got.data(), static_cast<int64_t>(got.size()));
    for (std::size_t i = 0; i < x.size(); ++i) {
      ASSERT_NEAR(got[i], expected[i], 1e-6f * std::max(1.0f, std::fabs(x[i]))) << isa_name(isa) << " x=" << x[i];
    }
  }
}

// The SIMD exponential is within 2e-7 relative of the library's, so SwiGLU agrees to a few float steps,
// including where e^-x overflows (large negative gates) and underflows.
TEST(SiluAgainstScalar, AgreesToAFewUlps) {
  std::vector<float> gate, up;
  for (int i = 0; i < 1027; ++i) {
    gate.push_back(static_cast<float>(i - 513) * 0.25f);
    up.push_back(1.0f + static_cast<float>(i % 7));
  }
  gate[0] = -200.0f;
  gate[1] = 200.0f;
  std::vector<float> expected(gate.size()), got(gate.size());
  kernels_for(Isa::scalar).silu_mul(gate.data(), up.data(), static_cast<int64_t>(gate.size()), expected.data());
  EXPECT_NEAR(expected[600], (600 - 513) * 0.25f / (1 + std::exp(-(600 - 513) * 0.25f)) * up[600], 1e-4f);
  for (const auto isa : simd_isas()) {
    kernels_for(isa).silu_mul(gate.data(), up.data(), static_cast<int64_t>(gate.size()), got.data());
    for (std::size_t i = 0; i < gate.size(); ++i) {
      ASSERT_NEAR(got[i], expected[i], 1e-6f * std::fabs(expected[i]) + 1e-30f) << isa_name(isa) << " x=" << gate[i];
    }
  }
}

TEST(KernelDispatch, ActiveSetIsCompleteForEveryComputableType) {
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512}) {
    if (!isa_supported(isa)) continue;
    const auto& set = kernels_for(isa);
    for (TensorType type : {TensorType::f32, TensorType::f16, TensorType::bf16, TensorType::q4_0, TensorType::q4_1,
                            TensorType::q5_0, TensorType::q5_1, TensorType::q8_0, TensorType::q4_k, TensorType::q5_k,
                            TensorType::q6_k}) {
      EXPECT_NE(set.gemm[static_cast<int>(type)], nullptr) << isa_name(isa) << " " << tensor_type_name(type);
      EXPECT_NE(set.quantize[static_cast<int>(activation_type(type))], nullptr);
    }
    EXPECT_NE(set.attend, nullptr);
    EXPECT_NE(set.silu_mul, nullptr);
    EXPECT_NE(set.attend_encoder, nullptr);
    EXPECT_NE(set.gelu, nullptr);
  }
  EXPECT_TRUE(isa_supported(detect_isa()));
}

}  // namespace
}  // namespace parley::engine::kernels
