#include "llm/sse_parser.h"

namespace parley::llm {

bool SseParser::feed(std::string_view bytes, const std::function<void(const SseEvent&)>& on_event) {
  for (char c : bytes) {
    if (skip_cr_lf_) {
      skip_cr_lf_ = false;
      if (c == '\n') continue;  // the \n of a \r\n pair
    }
    if (c == '\r' || c == '\n') {
      line(pending_, on_event);
      pending_.clear();
      skip_cr_lf_ = c == '\r';
      continue;
    }
    pending_ += c;
    if (pending_.size() + current_.data.size() > max_event_bytes_) return false;
  }
  return true;
}

void SseParser::finish(const std::function<void(const SseEvent&)>& on_event) {
  if (!pending_.empty()) line(pending_, on_event);
  pending_.clear();
  dispatch(on_event);
}

void SseParser::line(std::string_view text, const std::function<void(const SseEvent&)>& on_event) {
  if (text.empty()) {
    dispatch(on_event);
    return;
  }
  if (text.front() == ':') return;  // comment (keep-alive)
  const auto colon = text.find(':');
  const std::string_view field = text.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (has_data_) current_.data += '\n';
    current_.data += value;
    has_data_ = true;
  } else if (field == "event") {
    current_.event = std::string(value);
  } else if (field == "id") {
    current_.id = std::string(value);
  }
}

void SseParser::dispatch(const std::function<void(const SseEvent&)>& on_event) {
  if (has_data_ || !current_.event.empty()) {
    if (current_.event.empty()) current_.event = "message";
    on_event(current_);
  }
  current_ = SseEvent{};
  has_data_ = false;
}

}  // namespace parley::llm
