#include "engine/model-bert.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/gguf.h"
#include "reference_models.h"

namespace parley::engine {
namespace {

struct BertCase {
  const char* name;
  float tolerance;  // max |component - reference| relative to the largest reference component
};

class BertReference : public ::testing::TestWithParam<BertCase> {};

TEST_P(BertReference, MeanPooledEmbeddingMatches) {
  const auto [name, tolerance] = GetParam();
  const auto ref = testing::load_reference(name);
  auto model = Model::load(*GgufFile::open(testing::model_path(std::string(name) + ".gguf")));
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_EQ((*model)->params().pooling, Pooling::mean);
  ThreadPool pool(2);
  MatmulRunner matmul(pool, kernels::active_kernels());
  BertForward bert(**model, matmul);
  auto embedding = bert.embed(ref.prompt_tokens, false);
  ASSERT_TRUE(embedding.ok()) << embedding.error().message;
  ASSERT_EQ(embedding->size(), ref.embedding.size());
  double scale = 0, worst = 0;
  for (std::size_t i = 0; i < ref.embedding.size(); ++i) {
    scale = std::max(scale, std::fabs(double(ref.embedding[i])));
    worst = std::max(worst, std::fabs(double((*embedding)[i]) - ref.embedding[i]));
  }
  EXPECT_LE(worst / scale, tolerance);
  std::cout << "[ embedding ] " << name << " max relative error " << worst / scale << "\n";

  auto normalized = bert.embed(ref.prompt_tokens, true);
  ASSERT_TRUE(normalized.ok());
  double norm = 0, dot = 0;
  for (std::size_t i = 0; i < normalized->size(); ++i) {
    norm += double((*normalized)[i]) * (*normalized)[i];
    dot += double((*normalized)[i]) * (*embedding)[i];
  }
  EXPECT_NEAR(norm, 1.0, 1e-5);
  EXPECT_GT(dot, 0.0);  // same direction as the raw embedding
}

INSTANTIATE_TEST_SUITE_P(Models, BertReference,
                         ::testing::Values(BertCase{"tiny-bert-f16", 5e-4f}, BertCase{"tiny-bert-q8_0", 5e-3f}),
                         [](const auto& test_info) {
                           std::string name = test_info.param.name;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(BertForward, RejectsEmptyAndOutOfRangeInput) {
  auto model = Model::load(*GgufFile::open(testing::model_path("tiny-bert-f16.gguf")));
  ASSERT_TRUE(model.ok());
  ThreadPool pool(1);
  MatmulRunner matmul(pool, kernels::active_kernels());
  BertForward bert(**model, matmul);
  EXPECT_EQ(bert.embed({}, true).error().code, ErrorCode::invalid_request);
  const std::vector<int32_t> bad{101, 4000, 102};
  EXPECT_EQ(bert.embed(bad, true).error().code, ErrorCode::invalid_request);
  const std::vector<int32_t> too_long(600, 1000);
  EXPECT_EQ(bert.embed(too_long, true).error().code, ErrorCode::invalid_request);
}

}  // namespace
}  // namespace parley::engine
