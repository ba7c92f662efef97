// `parley model bench`: prompt processing and generation speed of a model, measured like llama-bench (random prompt
// tokens; generation from a one-token prompt), plus several sequences generating at once, each from its own prompt,
// measured like llama-batched-bench (-npp prompt tokens, -ntg generated tokens, -npl sequences). For an embedding
// model: passages embedded per second (as an index does it) and the latency of one short query.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace parley::engine {

struct BenchOptions {
  std::string model;
  int threads = 0;
  int prompt_tokens = 512;
  int gen_tokens = 128;
  int repetitions = 3;  // each figure is the median of these runs (after one warm-up)
  int parallel = 0;     // >= 1: also measure this many sequences, each with a prompt of prompt_tokens, together
  // Embedding models: `passages` texts of `passage_tokens` tokens each ([CLS] and [SEP] included), embedded for
  // indexing, and a query of `query_tokens` tokens.
  int passages = 256;
  int passage_tokens = 256;
  int query_tokens = 15;
};

// Several sequences submitted at once, each with a prompt of its own (distinct random tokens, so the prefix cache
// cannot share them) and generating gen_tokens. Continuous batching starts each sequence decoding as soon as its
// prompt is done, next to the others' prompt chunks; the steady state is the steps in which every sequence decodes.
struct ParallelFigures {
  int sequences = 0;
  // Tokens per second of all sequences together in the steady state (llama-batched-bench's S_TG): 0 when the
  // sequences never all decoded at once (gen_tokens too few for the prompts before them).
  double decode_tokens_per_s = 0;
  double sequence_decode_tokens_per_s = 0;  // median over the sequences of each one's own decode rate
  double ttft_ms_median = 0;                // time to first token under this load: submission to first token
  double ttft_ms_max = 0;
  double total_tokens_per_s = 0;  // every generated token over the wall time from submission to the last one
};

struct BenchResult {
  double prefill_tokens_per_s = 0;
  double decode_tokens_per_s = 0;
  ParallelFigures parallel;  // sequences == 0 when not measured
  double peak_rss_mb = 0;
  uint64_t file_bytes = 0;
  uint64_t kv_cache_bytes = 0;
  // Embedding models (the generation figures stay 0).
  double passages_per_s = 0;
  double embed_tokens_per_s = 0;
  double query_ms = 0;  // one query embedded alone (median)
};

Result<BenchResult> run_bench(const BenchOptions& options);

// Peak resident set size of this process (VmHWM), in MB.
double peak_rss_mb();

}  // namespace parley::engine
