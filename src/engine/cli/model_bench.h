// `parley model bench`: prompt processing and generation speed of a model, measured like llama-bench (random prompt
// tokens; generation from a one-token prompt), plus the throughput of several sequences generating at once.
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
};

struct BenchResult {
  double prefill_tokens_per_s = 0;
  double decode_tokens_per_s = 0;
  double parallel_decode_tokens_per_s = 0;  // total over all sequences; 0 when not measured
  double peak_rss_mb = 0;
  uint64_t file_bytes = 0;
  uint64_t kv_cache_bytes = 0;
};

Result<BenchResult> run_bench(const BenchOptions& options);

// Peak resident set size of this process (VmHWM), in MB.
double peak_rss_mb();

}  // namespace parley::engine
