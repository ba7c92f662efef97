#include "engine/model-quantize.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "engine/engine.h"
#include "engine/gguf.h"
#include "reference_models.h"

namespace parley::engine {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("parley-quantize-test-" + name)).string();
}

TEST(QuantPlan, FollowsTheReferenceMixes) {
  const auto q4km = *parse_quant_mix("Q4_K_M");
  EXPECT_TRUE(q4km.medium);
  EXPECT_EQ(plan_tensor_type(q4km, "blk.0.attn_q.weight", 2048, 24, false), TensorType::q4_k);
  EXPECT_EQ(plan_tensor_type(q4km, "output.weight", 2048, 24, false), TensorType::q6_k);
  EXPECT_EQ(plan_tensor_type(q4km, "token_embd.weight", 2048, 24, true), TensorType::q6_k);   // tied: it is the output
  EXPECT_EQ(plan_tensor_type(q4km, "token_embd.weight", 2048, 24, false), TensorType::q4_k);
  EXPECT_EQ(plan_tensor_type(q4km, "blk.0.attn_v.weight", 2048, 24, false), TensorType::q6_k);  // first eighth
  EXPECT_EQ(plan_tensor_type(q4km, "blk.4.ffn_down.weight", 2048, 24, false), TensorType::q4_k);
  EXPECT_EQ(plan_tensor_type(q4km, "blk.5.ffn_down.weight", 2048, 24, false), TensorType::q6_k);  // every third
  EXPECT_EQ(plan_tensor_type(q4km, "blk.23.attn_v.weight", 2048, 24, false), TensorType::q6_k);   // last eighth
  // Rows that are not whole 256-element blocks fall back (896 = 3.5 blocks, as in Qwen2.5-0.5B).
  EXPECT_EQ(plan_tensor_type(q4km, "blk.4.ffn_up.weight", 896, 24, false), TensorType::q5_0);
  EXPECT_EQ(plan_tensor_type(q4km, "output.weight", 896, 24, false), TensorType::q8_0);
  const auto q8 = *parse_quant_mix("q8_0");
  EXPECT_EQ(plan_tensor_type(q8, "output.weight", 896, 24, false), TensorType::q8_0);
  EXPECT_EQ(plan_tensor_type(*parse_quant_mix("q4_0"), "output.weight", 896, 24, false), TensorType::q8_0);
  EXPECT_FALSE(parse_quant_mix("q3_k"));
  EXPECT_FALSE(parse_quant_mix("nonsense"));
}

// Quantizing the f32 model reproduces the reference files made by llama-quantize from the same weights: q8_0
// byte for byte; the 32-element types byte for byte except the output matrix, which both write as q6_k with
// different (equally valid) scale searches.
TEST(QuantizeModel, ReproducesReferenceFilesFromTheF32Model) {
  for (const std::string type : {"q8_0", "q4_0", "q4_1", "q5_0", "q5_1"}) {
    const auto out = temp_path(type + ".gguf");
    ASSERT_TRUE(quantize_model(testing::model_path("tiny-llama-f32.gguf"), out, *parse_quant_mix(type)).ok());
    auto ours = GgufFile::open(out);
    auto reference = GgufFile::open(testing::model_path("tiny-llama-" + type + ".gguf"));
    ASSERT_TRUE(ours.ok() && reference.ok());
    ASSERT_EQ(ours->tensors().size(), reference->tensors().size());
    for (const auto& tensor : ours->tensors()) {
      const auto* expected = reference->find_tensor(tensor.name);
      ASSERT_NE(expected, nullptr) << tensor.name;
      EXPECT_EQ(tensor.type, expected->type) << type << " " << tensor.name;
      if (tensor.name == "output.weight" && type != "q8_0") continue;
      ASSERT_EQ(tensor.n_bytes, expected->n_bytes);
      EXPECT_EQ(std::memcmp(tensor.data, expected->data, tensor.n_bytes), 0) << type << " " << tensor.name;
    }
    EXPECT_EQ(*ours->get_string("tokenizer.ggml.model"), "llama");
    std::filesystem::remove(out);
  }
}

TEST(SynthesizeModel, WritesALoadableModelOfTheRequestedShape) {
  SynthShape shape;
  shape.arch = "qwen2";
  shape.dim = 128;
  shape.ff = 320;
  shape.layers = 3;
  shape.heads = 4;
  shape.kv_heads = 2;
  const auto out = temp_path("synth.gguf");
  const auto vocab = std::string(PARLEY_SHARED_DIR) + "/tokenizers/ggml-vocab-qwen2.gguf";
  ASSERT_TRUE(synthesize_model(shape, vocab, *parse_quant_mix("q4_k_m"), out).ok());
  auto engine = Engine::load(out, {.threads = 1, .context_size = 256, .max_sequences = 1});
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  const auto& p = (*engine)->params();
  EXPECT_EQ(p.n_embd, 128);
  EXPECT_EQ(p.n_layer, 3);
  EXPECT_EQ(p.n_head_kv, 2);
  EXPECT_TRUE(p.tied_output);
  EXPECT_EQ(p.n_vocab, (*engine)->vocab().n_tokens());
  GenerationRequest request;
  request.prompt = "Hello world";
  request.max_tokens = 4;
  request.ignore_eos = true;
  auto result = (*engine)->generate(std::move(request));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->completion_tokens, 4);
  const int tokens = (*engine)->vocab().n_tokens();
  engine->reset();
  std::filesystem::remove(out);

  // An embedding padded past the tokenizer (as Qwen2.5-7B's): the padding rows are never text.
  shape.vocab_size = tokens + 128;
  ASSERT_TRUE(synthesize_model(shape, vocab, *parse_quant_mix("q8_0"), out).ok());
  auto padded = Engine::load(out, {.threads = 1, .context_size = 256, .max_sequences = 1});
  ASSERT_TRUE(padded.ok()) << padded.error().message;
  EXPECT_EQ((*padded)->params().n_vocab, tokens + 128);
  GenerationRequest again;
  again.prompt = "Hello world";
  again.max_tokens = 4;
  again.ignore_eos = true;
  auto padded_result = (*padded)->generate(std::move(again));
  ASSERT_TRUE(padded_result.ok()) << padded_result.error().message;
  EXPECT_EQ(padded_result->completion_tokens, 4);
  padded->reset();
  std::filesystem::remove(out);
  shape.vocab_size = tokens - 1;
  EXPECT_EQ(synthesize_model(shape, vocab, *parse_quant_mix("q8_0"), out).error().code, ErrorCode::invalid_request);
  shape.vocab_size = 0;

  shape.heads = 3;  // 128 is not divisible by 3
  EXPECT_EQ(synthesize_model(shape, vocab, *parse_quant_mix("q8_0"), out).error().code, ErrorCode::invalid_request);
}

// A bge-small-like encoder of any shape (benchmarks of embedding speed): loads as an embedding model that embeds
// text into unit vectors of its width; an encoder with fewer key/value heads than heads is refused.
TEST(SynthesizeModel, WritesALoadableEncoder) {
  SynthShape shape;
  shape.arch = "bert";
  shape.dim = 96;
  shape.ff = 160;
  shape.layers = 2;
  shape.heads = 3;
  shape.kv_heads = 3;
  shape.context_length = 128;
  const auto out = temp_path("synth-bert.gguf");
  const auto vocab = std::string(PARLEY_SHARED_DIR) + "/tokenizers/ggml-vocab-bert-bge.gguf";
  for (const char* type : {"f16", "q8_0"}) {
    ASSERT_TRUE(synthesize_model(shape, vocab, *parse_quant_mix(type), out).ok()) << type;
    auto engine = Engine::load(out, {.threads = 1});
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    EXPECT_TRUE((*engine)->is_embedding_model());
    const auto& p = (*engine)->params();
    EXPECT_EQ(p.n_embd, 96);
    EXPECT_EQ(p.n_layer, 2);
    EXPECT_EQ(p.n_ctx_train, 128);
    EXPECT_EQ(p.n_vocab, 30522);
    EXPECT_EQ(p.pooling, Pooling::mean);
    auto vector = (*engine)->embed("How do I reset my password?");
    ASSERT_TRUE(vector.ok()) << vector.error().message;
    ASSERT_EQ(vector->size(), 96u);
    double norm = 0;
    for (float v : *vector) norm += double(v) * v;
    EXPECT_NEAR(norm, 1.0, 1e-5);
    engine->reset();
  }
  std::filesystem::remove(out);
  shape.kv_heads = 1;
  EXPECT_EQ(synthesize_model(shape, vocab, *parse_quant_mix("f16"), out).error().code, ErrorCode::invalid_request);
}

}  // namespace
}  // namespace parley::engine
