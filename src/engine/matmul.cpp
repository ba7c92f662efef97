#include "engine/matmul.h"

#include <algorithm>
#include <array>

#include "engine/quants.h"

namespace parley::engine {
namespace {

constexpr int64_t kMinRowsPerTask = 32;  // output rows per task: at least a few kernel tiles
constexpr int64_t kTasksPerThread = 4;   // enough tasks to balance uneven threads, few enough that each task's rows
                                         // form a long stream the kernels can prefetch
constexpr int64_t kTokensPerTask = 128;  // activation rows per task, so a task's activations stay in L2
constexpr std::size_t kMaxTargets = 4;

}  // namespace

void MatmulRunner::run(std::span<const MatmulTarget> targets, const float* x, int64_t n_tokens) {
  if (targets.empty() || n_tokens <= 0) return;
  if (targets.size() > kMaxTargets) {
    run(targets.first(kMaxTargets), x, n_tokens);
    run(targets.subspan(kMaxTargets), x, n_tokens);
    return;
  }
  const int64_t n_in = targets[0].weight->n_in;

  // One converted copy of x per distinct activation format among the targets.
  std::array<TensorType, kMaxTargets> formats{};
  std::array<std::size_t, kMaxTargets> offsets{};
  std::array<std::size_t, kMaxTargets> row_bytes{};
  std::array<int, kMaxTargets> format_of_target{};
  std::size_t n_formats = 0;
  std::size_t total = 0;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const TensorType format = activation_type(targets[i].weight->type);
    std::size_t f = 0;
    while (f < n_formats && formats[f] != format) ++f;
    if (f == n_formats) {
      formats[f] = format;
      row_bytes[f] = static_cast<std::size_t>(*tensor_row_bytes(format, static_cast<uint64_t>(n_in)));
      offsets[f] = total;
      total += row_bytes[f] * static_cast<std::size_t>(n_tokens);
      ++n_formats;
    }
    format_of_target[i] = static_cast<int>(f);
  }
  if (scratch_.size() < total) scratch_.resize(total);
  uint8_t* scratch = scratch_.data();

  const int64_t n_conversions = static_cast<int64_t>(n_formats) * n_tokens;
  pool_.parallel_for(n_conversions, std::max<int64_t>(1, n_conversions / (4 * pool_.size())),
                     [&](int64_t begin, int64_t end, int) {
                       for (int64_t i = begin; i < end; ++i) {
                         const auto f = static_cast<std::size_t>(i / n_tokens);
                         const int64_t t = i % n_tokens;
                         kernels_.quantize[static_cast<int>(formats[f])](
                             x + t * n_in, scratch + offsets[f] + static_cast<std::size_t>(t) * row_bytes[f], n_in);
                       }
                     });

  // Tasks: token block outermost (threads working at the same time share activations), then target, then rows.
  const std::size_t n_targets = targets.size();
  std::array<int64_t, kMaxTargets + 1> first_task{};
  std::array<int64_t, kMaxTargets> rows_per_task{};
  // One thread has nothing to balance: one task per target and token block (kernels that prepare activations do
  // it once).
  const int64_t n_shares = pool_.size() == 1 ? 1 : kTasksPerThread * pool_.size();
  for (std::size_t i = 0; i < n_targets; ++i) {
    const int64_t n_out = targets[i].weight->n_out;
    const int64_t even_share = (n_out + n_shares - 1) / n_shares;
    // Whole groups of 16 rows (interleaved weights: groups of 8 or 16), and whole 4-row tiles for the others.
    rows_per_task[i] = (std::max(kMinRowsPerTask, even_share) + 15) / 16 * 16;
    first_task[i + 1] = first_task[i] + (n_out + rows_per_task[i] - 1) / rows_per_task[i];
  }
  const int64_t tasks_per_block = first_task[n_targets];
  const int64_t n_token_blocks = (n_tokens + kTokensPerTask - 1) / kTokensPerTask;

  pool_.parallel_for(n_token_blocks * tasks_per_block, 1, [&](int64_t begin, int64_t end, int) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t token_block = task / tasks_per_block;
      const int64_t within = task % tasks_per_block;
      std::size_t i = 0;
      while (first_task[i + 1] <= within) ++i;
      const MatmulTarget& target = targets[i];
      const WeightMatrix& w = *target.weight;
      const auto f = static_cast<std::size_t>(format_of_target[i]);
      const int64_t row0 = (within - first_task[i]) * rows_per_task[i];
      const int64_t rows = std::min(rows_per_task[i], w.n_out - row0);
      const int64_t t0 = token_block * kTokensPerTask;
      const int64_t tokens = std::min(kTokensPerTask, n_tokens - t0);
      float* out = target.out + t0 * w.n_out + row0;
      const int slot = static_cast<int>(w.type);
      const kernels::GemmFn gemm = w.interleaved ? kernels_.gemm_interleaved[slot] : kernels_.gemm[slot];
      gemm(n_in, w.row(row0), w.row_bytes, rows, scratch + offsets[f] + static_cast<std::size_t>(t0) * row_bytes[f],
           row_bytes[f], tokens, out, static_cast<std::size_t>(w.n_out));
      if (target.bias != nullptr) {
        for (int64_t t = 0; t < tokens; ++t) {
          for (int64_t r = 0; r < rows; ++r) out[t * w.n_out + r] += target.bias[row0 + r];
        }
      }
    }
  });
}

}  // namespace parley::engine
