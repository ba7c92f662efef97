// Cost of one forward pass on a model file, in CPU time of the calling thread (stable on a busy machine, unlike
// wall time) and wall time: `bench_engine_forward MODEL [threads] [batch] [steps]`. Batch 1 is a decode step;
// larger batches are prompt chunks.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "engine/gguf.h"
#include "engine/model-llama.h"

using namespace parley::engine;

namespace {
double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL [threads] [batch] [steps] [sequences]\n", argv[0]);
    return 2;
  }
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  const int batch = argc > 3 ? std::atoi(argv[3]) : 1;
  const int steps = argc > 4 ? std::atoi(argv[4]) : 64;
  const bool sequences = argc > 5 && std::string_view(argv[5]) == "sequences";
  auto file = GgufFile::open(argv[1]);
  if (!file.ok()) return std::fprintf(stderr, "%s\n", file.error().message.c_str()), 1;
  auto model = Model::load(std::move(*file));
  if (!model.ok()) return std::fprintf(stderr, "%s\n", model.error().message.c_str()), 1;
  const bool decoding = batch == 1 || sequences;
  const int context = (decoding ? steps + 1 : batch) + 32;
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
  // Decode steps extend their sequences; prompt steps (batch > 1) each start from an empty context.
  int pos = 0;
  auto run_step = [&] {
    if (sequences) {
      for (int i = 0; i < batch; ++i) {
        tokens[static_cast<std::size_t>(i)] = {100 + ((pos + 7 * i) % 1000), pos,
                                               blocks.data() + i * blocks_per_sequence, true};
      }
      ++pos;
    } else {
      if (batch > 1) pos = 0;
      for (int i = 0; i < batch; ++i, ++pos) {
        tokens[static_cast<std::size_t>(i)] = {100 + (pos % 1000), pos, blocks.data(), i + 1 == batch};
      }
    }
    if (!forward.forward(tokens, logits.data()).ok()) std::abort();
  };
  run_step();  // warm-up: page in the weights
  const double cpu0 = thread_cpu_ms();
  const auto wall0 = std::chrono::steady_clock::now();
  for (int s = 0; s < steps; ++s) run_step();
  const double cpu = thread_cpu_ms() - cpu0;
  const double wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall0).count();
  std::printf("%s threads=%d batch=%d%s: %.2f ms CPU (calling thread) and %.2f ms wall per step; %.1f tokens/s wall\n",
              kernels::active_kernels().name.data(), threads, batch,
              sequences ? " sequences" : "", cpu / steps, wall / steps, batch * steps / (wall / 1e3));
  return 0;
}
