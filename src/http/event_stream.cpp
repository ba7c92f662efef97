#include "http/event_stream.h"

namespace parley::http {

std::string format_event(const Event& event) {
  // "message" is the SSE default type, so it needs no event line (as OpenAI-style streams send it).
  std::string out = event.name == "message" ? "" : "event: " + event.name + "\n";
  std::size_t start = 0;
  while (true) {
    const std::size_t end = event.data.find('\n', start);
    out += "data: ";
    out.append(event.data, start, end == std::string::npos ? std::string::npos : end - start);
    out += '\n';
    if (end == std::string::npos) break;
    start = end + 1;
  }
  out += '\n';
  return out;
}

void EventStream::push(Event event) {
  std::function<void()> notify;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    queue_.push_back(std::move(event));
    notify = std::move(notify_);
    notify_ = nullptr;
  }
  if (notify) notify();
}

void EventStream::close() {
  std::function<void()> notify;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    notify = std::move(notify_);
    notify_ = nullptr;
  }
  if (notify) notify();
}

std::optional<Event> EventStream::pop() {
  std::lock_guard lock(mutex_);
  if (queue_.empty()) return std::nullopt;
  Event event = std::move(queue_.front());
  queue_.pop_front();
  return event;
}

bool EventStream::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

void EventStream::on_ready(std::function<void()> notify) {
  bool ready = false;
  {
    std::lock_guard lock(mutex_);
    ready = !queue_.empty() || closed_;
    if (!ready) notify_ = std::move(notify);
  }
  if (ready) notify();
}

void EventStream::cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
}

bool EventStream::cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

}  // namespace parley::http
