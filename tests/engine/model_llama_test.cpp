#include "engine/model-llama.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/gguf.h"
#include "model_load_fuzz.h"
#include "reference_models.h"

namespace parley::engine {
namespace {

using testing::load_reference;
using testing::model_path;
using testing::Reference;

// One sequence run through LlamaForward with its own cache and pool.
class SingleSequence {
 public:
  explicit SingleSequence(const std::string& file, int threads = 2, int context = 256)
      : model_(*Model::load(*GgufFile::open(model_path(file)))),
        pool_(threads),
        matmul_(pool_, kernels::active_kernels()),
        cache_(model_->params().n_layer, model_->params().n_head_kv, model_->params().head_dim, context / KvCache::kBlockTokens),
        forward_(*model_, cache_, matmul_, 64, context) {
    for (int b = 0; b < cache_.n_blocks(); ++b) blocks_.push_back(*cache_.allocate());
  }

  const ModelParams& params() const { return model_->params(); }

  // Feeds `tokens` at positions pos.. in chunks of up to 64 and returns the logits of every token.
  std::vector<float> eval(const std::vector<int32_t>& tokens, int pos, bool all_logits = true) {
    const auto n_vocab = static_cast<std::size_t>(params().n_vocab);
    std::vector<float> logits;
    for (std::size_t start = 0; start < tokens.size(); start += 64) {
      std::vector<BatchToken> batch;
      for (std::size_t i = start; i < std::min(tokens.size(), start + 64); ++i) {
        batch.push_back({tokens[i], pos + static_cast<int>(i), blocks_.data(), all_logits || i + 1 == tokens.size()});
      }
      const auto n_out = static_cast<std::size_t>(std::count_if(batch.begin(), batch.end(), [](auto& b) { return b.logits; }));
      const std::size_t at = logits.size();
      logits.resize(at + n_out * n_vocab);
      EXPECT_TRUE(forward_.forward(batch, logits.data() + at).ok());
    }
    return logits;
  }

 private:
  std::shared_ptr<const Model> model_;
  ThreadPool pool_;
  MatmulRunner matmul_;
  KvCache cache_;
  LlamaForward forward_;
  std::vector<int32_t> blocks_;
};

int argmax(const float* row, int n) { return static_cast<int>(std::max_element(row, row + n) - row); }

// Top-1 minus top-2 logit.
float top2_margin(const float* row, int n) {
  float first = -INFINITY, second = -INFINITY;
  for (int i = 0; i < n; ++i) {
    if (row[i] > first) {
      second = first;
      first = row[i];
    } else if (row[i] > second) {
      second = row[i];
    }
  }
  return first - second;
}

struct ModelCase {
  const char* name;
  float tolerance;  // max |logit - reference| / max(1, max |reference logit|) at every position
};

// Tolerances per weight type, relative to each position's largest logit. The engine computes what the reference
// computes (same activation formats and roundings, f16 KV cache); it accumulates attention in f32 where the reference
// rounds its accumulator to f16, and sums in other orders. Once such a last-bit difference flips the rounding of one
// 8-bit activation, the logits move by about the activation quantization noise, which grows as the weight type gets
// coarser. Observed maxima are 50-70% of these bounds.
constexpr float kTolF32 = 1e-3f;
constexpr float kTolF16 = 2e-3f;
constexpr float kTolBf16 = 8e-3f;
constexpr float kTolQ8 = 2.5e-2f;
constexpr float kTolQ4Q5 = 3.5e-2f;
constexpr float kTolKQuant = 4e-2f;

class ReferenceLogits : public ::testing::TestWithParam<ModelCase> {};

TEST_P(ReferenceLogits, MatchEveryPositionAndGreedyContinuation) {
  const auto [name, tolerance] = GetParam();
  const Reference ref = load_reference(name);
  ASSERT_FALSE(ref.logits.empty());
  SingleSequence sequence(std::string(name) + ".gguf");
  ASSERT_EQ(sequence.params().n_vocab, ref.n_vocab);

  const auto logits = sequence.eval(ref.prompt_tokens, 0);
  // Error of each position relative to the scale of its logits (random-weight models differ widely in scale).
  double worst = 0;
  std::size_t worst_at = 0;
  for (std::size_t pos = 0; pos < ref.prompt_tokens.size(); ++pos) {
    double scale = 1, error = 0;
    for (int v = 0; v < ref.n_vocab; ++v) {
      scale = std::max(scale, std::fabs(double(ref.row(pos)[v])));
      error = std::max(error, std::fabs(double(logits[pos * ref.n_vocab + v]) - ref.row(pos)[v]));
    }
    if (error / scale > worst) {
      worst = error / scale;
      worst_at = pos;
    }
  }
  EXPECT_LE(worst, tolerance) << name << " at position " << worst_at;
  std::cout << "[ logits ] " << name << " max relative error " << worst << " at position " << worst_at << "\n";

  // Greedy continuation, fed the reference's tokens (so both runs keep the same context): every step whose top-2
  // margin is clear of twice the tolerance must pick the reference's token; the others are near-ties either way.
  std::vector<float> last(logits.end() - ref.n_vocab, logits.end());
  int compared = 0;
  for (std::size_t step = 0; step < ref.greedy.size(); ++step) {
    double scale = 1;
    for (int v = 0; v < ref.n_vocab; ++v) scale = std::max(scale, std::fabs(double(last[v])));
    if (top2_margin(last.data(), ref.n_vocab) > 2 * tolerance * scale) {
      EXPECT_EQ(argmax(last.data(), ref.n_vocab), ref.greedy[step]) << name << " step " << step;
      ++compared;
    }
    last = sequence.eval({ref.greedy[step]}, static_cast<int>(ref.prompt_tokens.size() + step));
  }
  std::cout << "[ greedy ] " << name << " " << compared << "/" << ref.greedy.size() << " steps clear of ties\n";
}

INSTANTIATE_TEST_SUITE_P(
    Models, ReferenceLogits,
    ::testing::Values(ModelCase{"stories260K", kTolF32}, ModelCase{"tiny-llama-f32", kTolF32},
                      ModelCase{"tiny-llama-f16", kTolF16}, ModelCase{"tiny-llama-bf16", kTolBf16},
                      ModelCase{"tiny-llama-q8_0", kTolQ8}, ModelCase{"tiny-llama-q4_0", kTolQ4Q5},
                      ModelCase{"tiny-llama-q4_1", kTolQ4Q5}, ModelCase{"tiny-llama-q5_0", kTolQ4Q5},
                      ModelCase{"tiny-llama-q5_1", kTolQ4Q5}, ModelCase{"tiny-llama-q4_k_m", kTolKQuant},
                      ModelCase{"tiny-llama-q5_k_m", kTolKQuant}, ModelCase{"tiny-llama-q6_k", kTolKQuant},
                      ModelCase{"tiny-qwen2-f16", kTolF16}, ModelCase{"tiny-qwen2-q8_0", kTolQ8},
                      ModelCase{"tiny-qwen2-q4_0", kTolQ4Q5}, ModelCase{"tiny-qwen2-q4_k_m", kTolKQuant},
                      ModelCase{"tiny-qwen2-q5_k_m", kTolKQuant}, ModelCase{"tiny-qwen2-q6_k", kTolKQuant},
                      ModelCase{"tiny-qwen3-f16", kTolF16}, ModelCase{"tiny-qwen3-q8_0", kTolQ8},
                      ModelCase{"tiny-qwen3-q4_1", kTolQ4Q5}, ModelCase{"tiny-qwen3-q5_0", kTolQ4Q5},
                      ModelCase{"tiny-qwen3-q5_1", kTolQ4Q5}, ModelCase{"tiny-qwen3-q4_k_m", kTolKQuant},
                      ModelCase{"tiny-qwen3-q6_k", kTolKQuant}),
    [](const auto& test_info) {
      std::string name = test_info.param.name;
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

// Every seed and fuzzer find of the model-loading target stays a regression input; the seeds (one small model per
// architecture and weight type) must load and compute.
TEST(ModelLoadCorpus, ReplaysEveryInput) {
  const std::filesystem::path corpus = std::filesystem::path(PARLEY_SOURCE_DIR) / "fuzz/engine/corpus/model_load";
  int computed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    const std::string data = bytes.str();
    if (run_model_load_input(reinterpret_cast<const uint8_t*>(data.data()), data.size())) ++computed;
  }
  EXPECT_GE(computed, 7);
}

}  // namespace
}  // namespace parley::engine
