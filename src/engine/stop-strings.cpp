#include "engine/stop-strings.h"

#include <algorithm>

namespace parley::engine {

StopMatcher::StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {
  std::erase_if(stops_, [](const std::string& s) { return s.empty(); });
}

StopMatcher::Output StopMatcher::push(std::string_view piece) {
  pending_.append(piece);
  Output out;
  std::size_t earliest = std::string::npos;
  for (const auto& stop : stops_) {
    const auto at = pending_.find(stop);
    if (at != std::string::npos && at < earliest) {
      earliest = at;
      out.matched = stop;
    }
  }
  if (earliest != std::string::npos) {
    out.text = pending_.substr(0, earliest);
    out.stopped = true;
    pending_.clear();
    return out;
  }
  // Hold back the longest tail of pending_ that is the beginning of some stop string.
  std::size_t hold = 0;
  for (const auto& stop : stops_) {
    for (std::size_t k = std::min(stop.size() - 1, pending_.size()); k > hold; --k) {
      if (pending_.compare(pending_.size() - k, k, stop, 0, k) == 0) {
        hold = k;
        break;
      }
    }
  }
  out.text = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return out;
}

std::string StopMatcher::finish() {
  std::string rest;
  rest.swap(pending_);
  return rest;
}

}  // namespace parley::engine
