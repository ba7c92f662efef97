// Reciprocal rank fusion: several rankings of the same items combined by rank alone, so scores on different scales
// (BM25, re-scored shares, cosine similarities) need no calibration against each other. An item's fused value is the
// sum over the rankings that hold it of weight / (k + rank), rank counted from 1; k = 60 damps the difference
// between the first few places (Cormack, Clarke and Büttcher, SIGIR 2009).
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

namespace parley::search {

inline constexpr double kRrfK = 60.0;

struct Ranking {
  std::span<const std::int64_t> ids;  // best first
  double weight = 1.0;
};

// Fused value per item of any ranking.
std::unordered_map<std::int64_t, double> fuse_rankings(std::span<const Ranking> rankings, double k = kRrfK);

}  // namespace parley::search
