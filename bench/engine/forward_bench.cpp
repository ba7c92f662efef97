// Cost of one forward pass on a model file, in CPU time of the calling thread (stable on a busy machine, unlike
// wall time) and wall time:
//   bench_engine_forward MODEL [threads] [batch] [steps] [sequences] [--start POS] [--profile]
// Batch 1 is a decode step; larger batches are prompt chunks, or with `sequences` one decode step of that many
// sequences together. --start POS decodes after POS cached positions (attention over a longer context);
// --profile prints the wall time of every operation per step, with the weight bytes the matrix products stream.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "engine/forward-profile.h"
#include "engine/gguf.h"
#include "engine/model-llama.h"

using namespace parley::engine;

namespace {

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

void print_profile(const ForwardProfile& profile, int steps, double step_ms) {
  auto entries = profile.entries();
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.ms > b.ms; });
  std::printf("%-32s %10s %7s %12s %9s\n", "operation", "ms/step", "share", "weights MB", "GB/s");
  double total = 0;
  for (const auto& e : entries) total += e.ms;
  for (const auto& e : entries) {
    const double ms = e.ms / steps;
    const double mb = static_cast<double>(e.weight_bytes) / steps / 1e6;
    std::printf("%-32s %10.3f %6.1f%% %12.1f", e.name.c_str(), ms, 100 * e.ms / total, mb);
    if (e.weight_bytes > 0) std::printf(" %9.1f", mb / ms);
    std::printf("\n");
  }
  std::printf("%-32s %10.3f (step wall %.3f ms: the rest is outside the operations)\n", "sum", total / steps, step_ms);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args;
  bool profiling = false;
  int start = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--profile") {
      profiling = true;
    } else if (arg == "--start" && i + 1 < argc) {
      start = std::max(0, std::atoi(argv[++i]));
    } else {
      args.push_back(arg);
    }
  }
  if (args.empty()) {
    std::fprintf(stderr, "usage: %s MODEL [threads] [batch] [steps] [sequences] [--start POS] [--profile]\n", argv[0]);
    return 2;
  }
  const auto number = [&](std::size_t i, int fallback) {
    return args.size() > i ? std::atoi(std::string(args[i]).c_str()) : fallback;
  };
  const int threads = number(1, 1);
  const int batch = number(2, 1);
  const int steps = number(3, 64);
  const bool sequences = args.size() > 4 && args[4] == "sequences";
  auto file = GgufFile::open(std::string(args[0]));
  if (!file.ok()) return std::fprintf(stderr, "%s\n", file.error().message.c_str()), 1;
  auto model = Model::load(std::move(*file));
  if (!model.ok()) return std::fprintf(stderr, "%s\n", model.error().message.c_str()), 1;
  const bool decoding = batch == 1 || sequences;
  const int context = start + (decoding ? steps + 1 : batch) + 32;
  const int n_sequences = sequences ? batch : 1;
  const int blocks_per_sequence = context / KvCache::kBlockTokens + 1;
  ThreadPool pool(threads);
  MatmulRunner matmul(pool, kernels::active_kernels());
  KvCache cache((*model)->params().n_layer, (*model)->params().n_head_kv, (*model)->params().head_dim,
                n_sequences * blocks_per_sequence);
  LlamaForward forward(**model, cache, matmul, batch, context);
  std::vector<int32_t> blocks;
  for (int b = 0; b < cache.n_blocks(); ++b) blocks.push_back(*cache.allocate());
  std::vector<float> logits(static_cast<std::size_t>(n_sequences) * static_cast<std::size_t>((*model)->params().n_vocab));
  std::vector<BatchToken> tokens(static_cast<std::size_t>(batch));
  // Decode steps extend their sequences; prompt steps (batch > 1) each start at `start`. Positions before `start`
  // hold whatever the cache holds: attention costs the same for any values.
  int pos = start;
  auto run_step = [&] {
    if (sequences) {
      for (int i = 0; i < batch; ++i) {
        tokens[static_cast<std::size_t>(i)] = {100 + ((pos + 7 * i) % 1000), pos,
                                               blocks.data() + i * blocks_per_sequence, true};
      }
      ++pos;
    } else {
      if (batch > 1) pos = start;
      for (int i = 0; i < batch; ++i, ++pos) {
        tokens[static_cast<std::size_t>(i)] = {100 + (pos % 1000), pos, blocks.data(), i + 1 == batch};
      }
    }
    if (!forward.forward(tokens, logits.data()).ok()) std::abort();
  };
  run_step();  // warm-up: page in the weights
  ForwardProfile profile;
  if (profiling) forward.set_profile(&profile);
  const double cpu0 = thread_cpu_ms();
  const auto wall0 = std::chrono::steady_clock::now();
  for (int s = 0; s < steps; ++s) run_step();
  const double cpu = thread_cpu_ms() - cpu0;
  const double wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall0).count();
  std::printf("%s threads=%d batch=%d%s start=%d: %.2f ms CPU (calling thread) and %.2f ms wall per step; "
              "%.1f tokens/s wall\n",
              kernels::active_kernels().name.data(), threads, batch, sequences ? " sequences" : "", start, cpu / steps,
              wall / steps, batch * steps / (wall / 1e3));
  if (profiling) print_profile(profile, steps, wall / steps);
  return 0;
}
