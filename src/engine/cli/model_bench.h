// `parley model bench`: prompt processing and generation speed of a model, measured like llama-bench (random prompt
// tokens; generation from a one-token prompt), plus the throughput of several sequences generating at once. For an
// embedding model: passages embedded per second (as an index does it) and the latency of one short query.
#pragma once

#include <cstdint>

#include "common/result.h"

namespace parley::engine {

struct BenchOptions {
  std::string model;
  int threads = 0;
  int prompt_tokens = 512;
  int gen_tokens = 128;
  int repetitions = 3;  // each figure is the median of these runs (after one warm-up)
  int parallel = 0;     // > 1: also measure this many sequences generating together
  // Embedding models: `passages` texts of `passage_tokens` tokens each ([CLS] and [SEP] included), embedded for
  // indexing, and a query of `query_tokens` tokens.
  int passages = 256;
  int passage_tokens = 256;
  int query_tokens = 15;
};

struct BenchResult {
  double prefill_tokens_per_s = 0;
  double decode_tokens_per_s = 0;
  double parallel_decode_tokens_per_s = 0;  // total over all sequences; 0 when not measured
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
