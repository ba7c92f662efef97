// A limit on the CPU time one document may cost to parse, chunk and screen, so that one hostile file (a PDF whose
// thousands of pages share one dense content stream) cannot take a core for minutes. It counts the CPU time of the
// thread doing the work (CLOCK_THREAD_CPUTIME_ID, so time spent waiting for a core does not count) from when the
// budget is opened; the slow steps call check_cpu_budget() between units of work (a PDF page, a chunk) and stop
// with a clear error once it is spent.
#pragma once

#include <chrono>
#include <string>

#include "common/result.h"

namespace parley::ingest {

class CpuBudget {
 public:
  // Opens a budget of `limit` for the work this thread does on `what` (a file name, for the error) until the
  // budget is destroyed; a zero limit checks nothing. Budgets do not nest.
  CpuBudget(std::chrono::milliseconds limit, std::string what);
  ~CpuBudget();
  CpuBudget(const CpuBudget&) = delete;
  CpuBudget& operator=(const CpuBudget&) = delete;

  Status check() const;

 private:
  std::chrono::milliseconds limit_;
  std::string what_;
  std::chrono::nanoseconds start_;
};

// The current thread's CPU time.
std::chrono::nanoseconds thread_cpu_time();

// Checks the budget open on this thread, if any: `unprocessable` once it is spent.
Status check_cpu_budget();

}  // namespace parley::ingest
