// TEMPORARY (issue 14 experiments, removed before hand-over): a constant overridden from the environment.
#pragma once
#include <cstdlib>
namespace parley {
inline double tuning(const char* name, double fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::atof(value) : fallback;
}
}  // namespace parley
