#include "metrics/process.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "metrics/metrics.h"

namespace parley::metrics {
namespace {

std::uint64_t count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  std::uint64_t count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count > 0 ? count - 1 : 0;  // the directory stream's own descriptor
}

// The system's boot time (Unix seconds), for the process start time /proc gives in ticks since boot.
double boot_time_seconds() {
  std::ifstream stat("/proc/stat");
  std::string line;
  while (std::getline(stat, line)) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return 0;
}

}  // namespace

std::optional<ProcessStats> process_stats() {
  std::ifstream stat_file("/proc/self/stat");
  std::string stat;
  if (!std::getline(stat_file, stat)) return std::nullopt;
  // Fields after the command name (which may contain spaces), i.e. from field 3 (state) on.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  std::vector<std::string> values;
  while (fields >> field) values.push_back(field);
  // Field numbers (proc(5)) minus 3: utime 14, stime 15, num_threads 20, starttime 22, vsize 23, rss 24.
  if (values.size() < 22) return std::nullopt;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  ProcessStats stats;
  stats.cpu_seconds = (std::stod(values[11]) + std::stod(values[12])) / ticks;
  stats.threads = std::stoull(values[17]);
  stats.start_time_seconds = boot_time_seconds() + std::stod(values[19]) / ticks;
  stats.virtual_bytes = std::stoull(values[20]);
  stats.resident_bytes = std::stoull(values[21]) * page;
  stats.open_fds = count_open_fds();
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) stats.max_fds = limit.rlim_cur;
  return stats;
}

void collect_process(Sink& sink) {
  const auto stats = process_stats();
  if (!stats) return;
  sink.gauge("parley_process_resident_memory_bytes", "Resident memory of the parley process", {},
             static_cast<double>(stats->resident_bytes));
  sink.gauge("parley_process_virtual_memory_bytes", "Virtual memory of the parley process", {},
             static_cast<double>(stats->virtual_bytes));
  sink.gauge("parley_process_open_fds", "Open file descriptors (sockets, database files, ...)", {},
             static_cast<double>(stats->open_fds));
  sink.gauge("parley_process_max_fds", "The limit on open file descriptors", {}, static_cast<double>(stats->max_fds));
  sink.counter("parley_process_cpu_seconds_total", "User and system CPU time spent", {}, stats->cpu_seconds);
  sink.gauge("parley_process_threads", "Threads of the parley process", {}, static_cast<double>(stats->threads));
  sink.gauge("parley_process_start_time_seconds", "When the process started (Unix time)", {}, stats->start_time_seconds);
}

}  // namespace parley::metrics
