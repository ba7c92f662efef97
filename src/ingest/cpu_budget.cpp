#include "ingest/cpu_budget.h"

#include <time.h>

#include <cstdio>

namespace parley::ingest {
namespace {

thread_local const CpuBudget* current_budget = nullptr;

}  // namespace

std::chrono::nanoseconds thread_cpu_time() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

CpuBudget::CpuBudget(std::chrono::milliseconds limit, std::string what)
    : limit_(limit), what_(std::move(what)), start_(thread_cpu_time()) {
  if (limit_.count() > 0) current_budget = this;
}

CpuBudget::~CpuBudget() {
  if (current_budget == this) current_budget = nullptr;
}

Status CpuBudget::check() const {
  if (limit_.count() <= 0 || thread_cpu_time() - start_ <= limit_) return {};
  const auto seconds = std::chrono::duration<double>(limit_).count();
  char limit[32];
  std::snprintf(limit, sizeof limit, "%g", seconds);
  return make_error(ErrorCode::unprocessable, what_ + " took more than " + limit +
                                                  " s of CPU time to read and was stopped; split it into smaller files "
                                                  "or check that it is an ordinary document");
}

Status check_cpu_budget() { return current_budget != nullptr ? current_budget->check() : Status{}; }

}  // namespace parley::ingest
