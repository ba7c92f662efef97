#include "search/fusion.h"

namespace parley::search {

std::unordered_map<std::int64_t, double> fuse_rankings(std::span<const Ranking> rankings, double k) {
  std::unordered_map<std::int64_t, double> fused;
  for (const auto& ranking : rankings) {
    for (std::size_t rank = 0; rank < ranking.ids.size(); ++rank) {
      fused[ranking.ids[rank]] += ranking.weight / (k + static_cast<double>(rank + 1));
    }
  }
  return fused;
}

}  // namespace parley::search
