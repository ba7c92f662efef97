// The process's own gauges, read from /proc at scrape time: resident memory, open file descriptors and their
// limit, CPU time, threads, start time.
#pragma once

#include <cstdint>
#include <optional>

namespace parley::metrics {

class Sink;

struct ProcessStats {
  std::uint64_t resident_bytes = 0;
  std::uint64_t virtual_bytes = 0;
  std::uint64_t open_fds = 0;
  std::uint64_t max_fds = 0;
  double cpu_seconds = 0;
  std::uint64_t threads = 0;
  double start_time_seconds = 0;  // Unix time
};

// This process's figures now; nullopt where /proc is not readable.
std::optional<ProcessStats> process_stats();

// Emits process_stats() as parley_process_* metrics.
void collect_process(Sink& sink);

}  // namespace parley::metrics
