// Load shedding: whether to refuse a new request because the server is past capacity, judged from how long requests
// wait for a worker (CoDel's idea, applied at admission). When even the shortest wait of an interval was above the
// target, a standing queue has formed that more arrivals would only lengthen: the server is overloaded, and from
// then on admits only as many requests as its workers start within the target (Little's law: queue length = start
// rate × wait); the rest are refused at once (503 with Retry-After) instead of queueing. It stops shedding after a
// window in which the queue ran empty (arrivals no longer outpace the workers). A burst shorter than the interval is
// queued, not shed; admitted requests keep their latency under sustained overload, and refused ones learn in
// microseconds instead of timing out.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace parley::http {

struct AdmissionOptions {
  std::chrono::microseconds target{0};  // queue wait that counts as a standing queue; 0: never shed
  std::chrono::milliseconds interval{50};   // how long waits must stay above the target
  // Requests waiting while none has reached a worker for an interval: the workers are stuck (long uploads, say).
  int stuck_backlog = 64;
};

class AdmissionControl {
 public:
  using Clock = std::chrono::steady_clock;
  explicit AdmissionControl(AdmissionOptions options = {}) : options_(options) {}

  // A request reached a worker after waiting `wait` in the queue, leaving `still_waiting` behind it.
  void started(Clock::duration wait, int still_waiting, Clock::time_point now = Clock::now());
  // Whether to refuse a new request now, with `waiting` requests queued for a worker (none waiting: never).
  bool should_shed(int waiting, Clock::time_point now = Clock::now());
  bool overloaded() const;

 private:
  AdmissionOptions options_;
  mutable std::mutex mutex_;
  Clock::time_point window_start_{};
  Clock::time_point last_start_{};
  Clock::duration window_min_ = Clock::duration::max();
  std::int64_t window_starts_ = 0;
  bool window_drained_ = false;  // some start of this window left nobody waiting
  double start_rate_ = 0;  // requests reaching workers per second, over the last window
  bool overloaded_ = false;
};

}  // namespace parley::http
