// A thread-safe queue of Server-Sent Events between a producer (a handler, or a generation thread later) and
// the connection that writes them. The connection waits without blocking a thread.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace parley::http {

struct Event {
  std::string name;  // "delta", "sources", "done", "error"
  std::string data;  // one line of JSON
};

// The wire form: "event: <name>\ndata: <data>\n\n" (data lines split on newlines; no event line for "message").
std::string format_event(const Event& event);

class EventStream {
 public:
  void push(Event event);
  // No more events will come; the connection ends the response after the queued ones.
  void close();
  // Connection side: the next event, or nullopt when none is queued (check closed()).
  std::optional<Event> pop();
  bool closed() const;
  // Connection side: called (once) when something is pushed or the stream is closed; replaced on each wait.
  void on_ready(std::function<void()> notify);
  // Set by the connection when the client has gone: producers check it to stop early.
  void cancel();
  bool cancelled() const;

 private:
  mutable std::mutex mutex_;
  std::deque<Event> queue_;
  bool closed_ = false;
  bool cancelled_ = false;
  std::function<void()> notify_;
};

}  // namespace parley::http
