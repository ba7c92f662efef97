// Incremental parser of a Server-Sent Events stream (the WHATWG event-stream format), as OpenAI-compatible and
// Anthropic streaming APIs send it: bytes arrive in arbitrary pieces; complete events come out.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace parley::llm {

struct SseEvent {
  std::string event;  // "message" when the stream names none
  std::string data;   // data lines joined with '\n'
  std::string id;
};

class SseParser {
 public:
  // `max_event_bytes` bounds one event (and a line without its end) so a hostile stream cannot grow memory.
  explicit SseParser(std::size_t max_event_bytes = 1u << 20) : max_event_bytes_(max_event_bytes) {}

  // Feeds bytes; calls `on_event` for every event completed by them. Returns false when the stream broke a limit
  // (the rest of it should be abandoned).
  bool feed(std::string_view bytes, const std::function<void(const SseEvent&)>& on_event);
  // Flushes an event left without its final blank line when the stream ends (servers that stop mid-event).
  void finish(const std::function<void(const SseEvent&)>& on_event);

 private:
  void line(std::string_view text, const std::function<void(const SseEvent&)>& on_event);
  void dispatch(const std::function<void(const SseEvent&)>& on_event);

  std::size_t max_event_bytes_;
  std::string pending_;  // an incomplete line
  SseEvent current_;
  bool has_data_ = false;
  bool skip_cr_lf_ = false;
};

}  // namespace parley::llm
