// Load shedding: the admission decision with a made-up clock, then a real server past its capacity.
#include "http/admission.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "http/server.h"
#include "support/http_client.h"

namespace parley::http {
namespace {

using namespace std::chrono_literals;
using Clock = AdmissionControl::Clock;

AdmissionOptions options(std::chrono::milliseconds target = 5ms) {
  AdmissionOptions out;
  out.target = target;
  out.interval = 50ms;
  return out;
}

// Starts `per_window` requests evenly over one 50 ms window, each having waited `wait` and leaving `behind` waiting.
void run_window(AdmissionControl& admission, Clock::time_point& now, int per_window, Clock::duration wait,
                int behind = 3) {
  for (int i = 0; i < per_window; ++i) {
    now += std::chrono::microseconds(50'000) / per_window;
    admission.started(wait, behind, now);
  }
}

TEST(Admission, ABurstShorterThanTheIntervalIsQueuedNotShed) {
  AdmissionControl admission(options());
  auto now = Clock::now();
  run_window(admission, now, 100, 1ms);
  // Waits grow within the window (a burst), but the window's shortest wait was small.
  for (int i = 0; i < 50; ++i) {
    now += 1ms;
    admission.started(std::chrono::milliseconds(i), 50 - i, now);
  }
  EXPECT_FALSE(admission.overloaded());
  EXPECT_FALSE(admission.should_shed(500, now));
}

TEST(Admission, AStandingQueueIsCappedAtWhatTheWorkersStartWithinTheTarget) {
  AdmissionControl admission(options());
  auto now = Clock::now();
  run_window(admission, now, 100, 1ms);     // 2,000 starts per second, short waits
  run_window(admission, now, 100, 20ms);    // then every wait above the 5 ms target for a whole window
  run_window(admission, now, 100, 20ms);
  EXPECT_TRUE(admission.overloaded());
  // 2,000/s × 5 ms = 10 may wait; more are shed, fewer admitted.
  EXPECT_FALSE(admission.should_shed(9, now));
  EXPECT_TRUE(admission.should_shed(10, now));
  EXPECT_TRUE(admission.should_shed(400, now));
  EXPECT_FALSE(admission.should_shed(0, now));  // nobody waiting: always admitted
  // Waits under the target with a queue that never empties keep it shedding; a drained queue ends it.
  run_window(admission, now, 100, 2ms);
  run_window(admission, now, 100, 2ms);
  EXPECT_TRUE(admission.overloaded());
  run_window(admission, now, 100, 500us, 0);
  run_window(admission, now, 100, 500us, 0);
  EXPECT_FALSE(admission.overloaded());
  EXPECT_FALSE(admission.should_shed(400, now));
}

TEST(Admission, AnIdleGapForgetsAnOldVerdict) {
  AdmissionControl admission(options());
  auto now = Clock::now();
  run_window(admission, now, 100, 20ms);
  run_window(admission, now, 100, 20ms);
  EXPECT_TRUE(admission.overloaded());
  now += 5s;
  admission.started(30ms, 3, now);  // the first request after the gap: no verdict from old figures
  EXPECT_FALSE(admission.overloaded());
}

TEST(Admission, StuckWorkersShedALargeBacklog) {
  AdmissionControl admission(options());
  auto now = Clock::now();
  run_window(admission, now, 10, 1ms);
  now += 200ms;  // nothing has started since, while requests pile up
  EXPECT_FALSE(admission.should_shed(10, now));
  EXPECT_TRUE(admission.should_shed(64, now));
}

TEST(Admission, ATargetOfZeroNeverSheds) {
  AdmissionControl admission(options(0ms));
  auto now = Clock::now();
  run_window(admission, now, 100, 1s);
  run_window(admission, now, 100, 1s);
  EXPECT_FALSE(admission.should_shed(1000, now));
}

struct Served {
  std::vector<double> admitted_ms;
  std::vector<double> refused_ms;
  int health_refused = 0;
  double median(std::vector<double> values) const {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
  }
};

// A server with one worker whose requests each take 10 ms (about 100 per second), 7 clients asking back to back
// (a client told 503 waits 5 ms, as Retry-After asks it to wait), and one asking for /healthz, for 1.5 s.
Served serve_past_capacity(std::chrono::milliseconds shed_target) {
  Router router;
  router.add("GET", "/work", [](Request&) {
    std::this_thread::sleep_for(10ms);
    return json_response(200, {{"ok", true}});
  });
  router.add("GET", "/healthz", [](Request&) { return json_response(200, {{"status", "ok"}}); });
  router.exempt_from_shedding("GET", "/healthz");
  ServerOptions server_options;
  server_options.port = 0;
  server_options.worker_threads = 1;
  server_options.admission = options(shed_target);
  Server server(server_options, router);
  EXPECT_TRUE(server.listen().ok());
  server.start();
  std::atomic<bool> stop{false};
  std::mutex mutex;
  Served served;
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      parley::testing::HttpClient client(server.port());
      while (!stop) {
        const auto start = std::chrono::steady_clock::now();
        const auto reply = client.request("GET", c == 0 ? "/healthz" : "/work");
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        std::lock_guard lock(mutex);
        if (c == 0) {
          served.health_refused += reply.status != 200;
        } else if (reply.status == 200) {
          served.admitted_ms.push_back(ms);
        } else {
          EXPECT_EQ(reply.status, 503);
          EXPECT_EQ(reply.headers.at("Retry-After"), "1");
          served.refused_ms.push_back(ms);
        }
        if (reply.status == 503) std::this_thread::sleep_for(5ms);
      }
    });
  }
  std::this_thread::sleep_for(1500ms);
  stop = true;
  for (auto& thread : clients) thread.join();
  server.stop();
  return served;
}

// Past capacity the excess is refused at once with 503 + Retry-After, the admitted requests wait far less than they
// would in an unbounded queue, and the health check is never refused.
TEST(AdmissionServer, PastCapacityTheExcessIsRefusedFastAndTheAdmittedStayFast) {
  const Served shedding = serve_past_capacity(20ms);
  const Served queueing = serve_past_capacity(0ms);
  ASSERT_GT(shedding.admitted_ms.size(), 40u);
  ASSERT_GT(shedding.refused_ms.size(), 40u);
  EXPECT_TRUE(queueing.refused_ms.empty());
  EXPECT_EQ(shedding.health_refused, 0);
  // Without shedding each of the 7 waits behind the other 6 (~70 ms); with it, behind at most one or two. Compared
  // with each other, the runs share whatever else the machine is doing.
  const double admitted = shedding.median(shedding.admitted_ms);
  const double unbounded = queueing.median(queueing.admitted_ms);
  EXPECT_LT(admitted, 0.75 * unbounded) << "admitted median " << admitted << " ms, without shedding " << unbounded << " ms";
  EXPECT_LT(shedding.median(shedding.refused_ms), 0.25 * admitted);
}

}  // namespace
}  // namespace parley::http
