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

using Clock = std::chrono::steady_clock;

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

GenerationRequest bench_request(std::vector<int32_t> prompt, int max_tokens) {
  GenerationRequest request;
  request.prompt_tokens = std::move(prompt);
  request.sampling.temperature = 0.0f;
  request.max_tokens = max_tokens;
  request.ignore_eos = true;
  return request;
}

// One round of `sequences` requests submitted together; every generated token is timestamped as it is sampled.
template <typename RandomPrompt>
Result<ParallelFigures> run_parallel(Engine& engine, int sequences, int prompt_tokens, int gen_tokens,
                                     RandomPrompt& random_prompt) {
  std::vector<std::vector<Clock::time_point>> times(static_cast<std::size_t>(sequences));
  std::vector<std::future<Result<GenerationResult>>> futures;
  const auto submitted = Clock::now();
  for (int s = 0; s < sequences; ++s) {
    auto& stamps = times[static_cast<std::size_t>(s)];
    stamps.reserve(static_cast<std::size_t>(gen_tokens));
    auto request = bench_request(random_prompt(prompt_tokens), gen_tokens);
    request.on_token = [&stamps](int32_t) { stamps.push_back(Clock::now()); };
    futures.push_back(engine.submit(std::move(request)));
  }
  for (auto& future : futures) {
    PARLEY_ASSIGN_OR_RETURN(auto done, future.get());
    (void)done;
  }
  ParallelFigures figures;
  figures.sequences = sequences;
  // The steady state: from the step in which the last sequence got its first token to the step in which the first
  // one ended, every step decodes one token of every sequence. Its steps are counted on the last sequence to start.
  std::size_t last_started = 0;
  auto first_end = Clock::time_point::max();
  auto last_end = submitted;
  std::vector<double> ttft, rates;
  int total = 0;
  for (std::size_t s = 0; s < times.size(); ++s) {
    const auto& stamps = times[s];
    if (stamps.empty()) return make_error(ErrorCode::internal, "a bench sequence generated nothing");
    if (stamps.front() > times[last_started].front()) last_started = s;
    first_end = std::min(first_end, stamps.back());
    last_end = std::max(last_end, stamps.back());
    ttft.push_back(ms_between(submitted, stamps.front()));
    if (stamps.size() > 1) {
      rates.push_back(static_cast<double>(stamps.size() - 1) / (ms_between(stamps.front(), stamps.back()) / 1000));
    }
    total += static_cast<int>(stamps.size());
  }
  const auto& reference = times[last_started];
  std::size_t steps = 0;
  while (steps + 1 < reference.size() && reference[steps + 1] <= first_end) ++steps;
  if (steps > 0) {
    figures.decode_tokens_per_s =
        static_cast<double>(sequences) * static_cast<double>(steps) / (ms_between(reference[0], reference[steps]) / 1000);
  }
  figures.sequence_decode_tokens_per_s = median(rates);
  figures.ttft_ms_median = median(ttft);
  figures.ttft_ms_max = *std::max_element(ttft.begin(), ttft.end());
  figures.total_tokens_per_s = total / (ms_between(submitted, last_end) / 1000);
  return figures;
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
  engine_options.context_size = options.parallel > 0 ? options.prompt_tokens + options.gen_tokens + 32
                                                     : std::max(options.prompt_tokens, options.gen_tokens + 1) + 32;
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
  std::vector<double> prefill, decode;
  std::vector<ParallelFigures> parallel;
  for (int run = 0; run <= options.repetitions; ++run) {  // run 0 warms up caches and page mappings
    PARLEY_ASSIGN_OR_RETURN(auto pp, engine->generate(bench_request(random_prompt(options.prompt_tokens), 1)));
    PARLEY_ASSIGN_OR_RETURN(auto tg, engine->generate(bench_request(random_prompt(1), options.gen_tokens)));
    std::optional<ParallelFigures> together;
    if (options.parallel > 0) {
      PARLEY_ASSIGN_OR_RETURN(together, run_parallel(*engine, options.parallel, options.prompt_tokens,
                                                     options.gen_tokens, random_prompt));
    }
    if (run == 0) continue;
    prefill.push_back(options.prompt_tokens / (pp.timings.prefill_ms / 1000.0));
    // The decode phase starts after the first generated token: gen_tokens - 1 forward passes.
    decode.push_back((tg.completion_tokens - 1) / (tg.timings.decode_ms / 1000.0));
    if (together) parallel.push_back(*together);
  }
  result.prefill_tokens_per_s = median(prefill);
  result.decode_tokens_per_s = median(decode);
  if (!parallel.empty()) {
    auto median_of = [&](double ParallelFigures::*figure) {
      std::vector<double> values;
      for (const auto& p : parallel) values.push_back(p.*figure);
      return median(values);
    };
    result.parallel.sequences = options.parallel;
    result.parallel.decode_tokens_per_s = median_of(&ParallelFigures::decode_tokens_per_s);
    result.parallel.sequence_decode_tokens_per_s = median_of(&ParallelFigures::sequence_decode_tokens_per_s);
    result.parallel.ttft_ms_median = median_of(&ParallelFigures::ttft_ms_median);
    result.parallel.ttft_ms_max = median_of(&ParallelFigures::ttft_ms_max);
    result.parallel.total_tokens_per_s = median_of(&ParallelFigures::total_tokens_per_s);
  }
  result.file_bytes = engine->file().file_size();
  result.kv_cache_bytes = engine->stats().kv_cache_bytes;
  result.peak_rss_mb = peak_rss_mb();
  return result;
}

}  // namespace parley::engine
