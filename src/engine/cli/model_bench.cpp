#include "engine/cli/model_bench.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace parley::engine {
namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

GenerationRequest bench_request(std::vector<int32_t> prompt, int max_tokens) {
  GenerationRequest request;
  request.prompt_tokens = std::move(prompt);
  request.sampling.temperature = 0.0f;
  request.max_tokens = max_tokens;
  request.ignore_eos = true;
  return request;
}

}  // namespace

double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

namespace {

// Random ordinary tokens between [CLS] and [SEP] (different every time, like distinct passages).
std::vector<int32_t> random_encoder_input(const Engine& engine, std::mt19937& rng, int n) {
  const Vocab& vocab = engine.vocab();
  std::vector<int32_t> tokens;
  tokens.reserve(static_cast<std::size_t>(n));
  tokens.push_back(vocab.cls() != kNoToken ? vocab.cls() : vocab.bos());
  while (static_cast<int>(tokens.size()) + 1 < n) {
    const auto t = static_cast<int32_t>(rng() % static_cast<uint32_t>(vocab.n_tokens()));
    if (vocab.token_type(t) == TokenType::normal) tokens.push_back(t);
  }
  tokens.push_back(vocab.sep() != kNoToken ? vocab.sep() : vocab.eos());
  return tokens;
}

Result<BenchResult> run_embedding_bench(Engine& engine, const BenchOptions& options) {
  if (options.passages < 1 || options.passage_tokens < 3 || options.query_tokens < 3 ||
      options.passage_tokens > engine.context_size() || options.query_tokens > engine.context_size()) {
    return make_error(ErrorCode::invalid_request, "passage and query lengths must be between 3 tokens and the context");
  }
  std::mt19937 rng(42);
  std::vector<std::vector<int32_t>> passages;
  for (int i = 0; i < options.passages; ++i) passages.push_back(random_encoder_input(engine, rng, options.passage_tokens));
  BenchResult result;
  std::vector<double> throughput, query;
  for (int run = 0; run <= options.repetitions; ++run) {  // run 0 warms up
    const auto start = std::chrono::steady_clock::now();
    PARLEY_TRY(engine.embed_batch(passages));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (run > 0) throughput.push_back(options.passages / seconds);
  }
  for (int i = 0; i < 50; ++i) {
    const auto tokens = random_encoder_input(engine, rng, options.query_tokens);
    const auto start = std::chrono::steady_clock::now();
    PARLEY_TRY(engine.embed_tokens(tokens));
    query.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  result.passages_per_s = median(throughput);
  result.embed_tokens_per_s = result.passages_per_s * options.passage_tokens;
  result.query_ms = median(query);
  result.file_bytes = engine.file().file_size();
  result.peak_rss_mb = peak_rss_mb();
  return result;
}

}  // namespace

Result<BenchResult> run_bench(const BenchOptions& options) {
  if (options.prompt_tokens < 1 || options.gen_tokens < 2 || options.repetitions < 1 || options.parallel < 0) {
    return make_error(ErrorCode::invalid_request, "bench needs prompt tokens >= 1, gen tokens >= 2, repetitions >= 1");
  }
  const int sequences = std::max(1, options.parallel);
  EngineOptions engine_options;
  engine_options.threads = options.threads;
  engine_options.context_size = std::max(options.prompt_tokens, options.gen_tokens + 1) + 32;
  engine_options.max_sequences = sequences;
  PARLEY_ASSIGN_OR_RETURN(auto engine, Engine::load(options.model, engine_options));
  if (engine->is_embedding_model()) return run_embedding_bench(*engine, options);

  // Random prompt tokens (different every run, so the prefix cache cannot help), avoiding special tokens.
  std::mt19937 rng(42);
  const int n_vocab = engine->vocab().n_tokens();
  auto random_prompt = [&](int n) {
    std::vector<int32_t> tokens(static_cast<std::size_t>(n));
    for (auto& t : tokens) {
      do {
        t = static_cast<int32_t>(rng() % static_cast<uint32_t>(n_vocab));
      } while (engine->vocab().token_type(t) != TokenType::normal);
    }
    return tokens;
  };

  BenchResult result;
  std::vector<double> prefill, decode, parallel;
  for (int run = 0; run <= options.repetitions; ++run) {  // run 0 warms up caches and page mappings
    PARLEY_ASSIGN_OR_RETURN(auto pp, engine->generate(bench_request(random_prompt(options.prompt_tokens), 1)));
    PARLEY_ASSIGN_OR_RETURN(auto tg, engine->generate(bench_request(random_prompt(1), options.gen_tokens)));
    if (run == 0) continue;
    prefill.push_back(options.prompt_tokens / (pp.timings.prefill_ms / 1000.0));
    // The decode phase starts after the first generated token: gen_tokens - 1 forward passes.
    decode.push_back((tg.completion_tokens - 1) / (tg.timings.decode_ms / 1000.0));
    if (options.parallel > 1) {
      std::vector<std::future<Result<GenerationResult>>> futures;
      const auto start = std::chrono::steady_clock::now();
      for (int s = 0; s < options.parallel; ++s) {
        futures.push_back(engine->submit(bench_request(random_prompt(1), options.gen_tokens)));
      }
      int tokens = 0;
      for (auto& future : futures) {
        PARLEY_ASSIGN_OR_RETURN(auto one, future.get());
        tokens += one.completion_tokens;
      }
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      parallel.push_back(tokens / seconds);
    }
  }
  result.prefill_tokens_per_s = median(prefill);
  result.decode_tokens_per_s = median(decode);
  if (!parallel.empty()) result.parallel_decode_tokens_per_s = median(parallel);
  result.file_bytes = engine->file().file_size();
  result.kv_cache_bytes = engine->stats().kv_cache_bytes;
  result.peak_rss_mb = peak_rss_mb();
  return result;
}

}  // namespace parley::engine
