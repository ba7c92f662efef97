// Sends the outbox (outbox.h): webhook deliveries as signed POSTs, many at once over libcurl's multi interface, on
// one thread; emails over SMTP on another, so a hanging mail server never holds up webhooks.
//
// Deliveries are taken under a lease, like jobs (jobs/job_runner.h): a dispatcher that dies leaves its leases to
// expire and another (or the next start) sends them again, so every event arrives at least once across restarts. A
// dispatcher that stops gives its unfinished leases back at once.
//
// Outcomes: a 2xx answer delivers. Anything else — a timeout, a refused connection, a 5xx or 4xx, a response over
// the size cap, a redirect to another host (never followed; a redirect on the same host is followed up to 3 times)
// — is logged as an attempt and retried after base · 2^(n−1) (capped at an hour, with jitter) until the delivery's
// window (24 hours) is over; then it is `failed`, and can be replayed by hand. An SMTP 5xx answer is final at once.
// Exceptions are caught per round: the threads never die.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "crawl/fetcher.h"
#include "notify/email.h"
#include "store/store.h"

namespace parley::notify {

struct DispatcherOptions {
  std::string owner;  // lease holder name; default: host, process id and a random part
  int batch_size = 256;     // deliveries claimed per round
  int concurrency = 64;     // webhook requests in flight
  std::chrono::milliseconds lease{120'000};
  std::chrono::milliseconds idle_poll{1'000};
  std::chrono::milliseconds request_timeout{10'000};  // a whole webhook request
  // On stop, how long webhook requests in flight may take to finish (their outcomes recorded); after that they are
  // abandoned, and their deliveries, like those not sent yet, are given back to be sent by the next start.
  std::chrono::milliseconds drain{2'000};
  std::chrono::milliseconds connect_timeout{5'000};
  std::size_t max_response_bytes = 1u << 20;
  std::chrono::milliseconds retry_base{10'000};
  std::chrono::milliseconds retry_max{3'600'000};
  int max_redirects = 3;
  bool allow_private_addresses = false;  // webhook targets on private networks (crawl::FetchOptions)
  SmtpSettings smtp;  // url empty: email deliveries fail at once, saying SMTP is not configured
};

// The wait after `failures` failed attempts: base · 2^(failures−1), at most `cap`, plus up to a fifth for jitter
// (so that a receiver that comes back is not hit by every retry at the same instant).
std::chrono::milliseconds retry_delay(int failures, std::chrono::milliseconds base, std::chrono::milliseconds cap);

// The signed POST of a webhook delivery: Parley-Event, Parley-Event-Id, Parley-Delivery, the timestamp and the
// signature of "timestamp.body" under the delivery's secret (signature.h).
crawl::FetchRequest webhook_request(std::string url, const store::Delivery& delivery, std::int64_t unix_seconds);

// "Send test event": one signed webhook.test event (in the webhook's format) to the receiver, now, in this
// thread; not queued nor logged as a delivery. What the receiver answered, for the person who pressed it.
struct TestDelivery {
  bool delivered = false;  // a 2xx answer
  int status = 0;          // 0: no HTTP answer (see error)
  std::string error;
  std::string response;  // the start of the receiver's answer
  std::int64_t duration_ms = 0;
};
TestDelivery send_test_event(const store::Webhook& webhook, const std::string& workspace_name,
                             const DispatcherOptions& options);

class Dispatcher {
 public:
  Dispatcher(store::Store& store, DispatcherOptions options = {});
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void start();
  // Stops both threads, letting webhook requests in flight finish for up to `drain`; deliveries taken but not
  // finished are given back (due again at once).
  void stop();
  // Deliveries were queued: look now instead of at the next poll.
  void wake();

  const std::string& owner() const { return options_.owner; }

 private:
  class WebhookRound;
  void webhook_loop();
  void email_loop();
  // Waits until woken after `seen` (a wake generation), stopped, or `timeout` passes; returns the generation now.
  std::uint64_t idle(std::chrono::milliseconds timeout, std::uint64_t seen);

  store::Store& store_;
  DispatcherOptions options_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::uint64_t wakes_ = 0;  // each thread compares it with what it last saw, so one wake reaches both
  std::thread webhook_thread_;
  std::thread email_thread_;
};

}  // namespace parley::notify
