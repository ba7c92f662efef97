// Stop strings in streamed text: text is released only once no stop string can begin in it, so a caller never
// sees the start of a stop string that completes later; the first complete match ends the stream.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace parley::engine {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);

  struct Output {
    std::string text;     // safe to emit now
    bool stopped = false;  // a stop string completed; `text` ends right before it
    std::string matched;   // the stop string that completed
  };
  Output push(std::string_view piece);
  // End of the stream: whatever was held back.
  std::string finish();

 private:
  std::vector<std::string> stops_;
  std::string pending_;
};

}  // namespace parley::engine
