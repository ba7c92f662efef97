// What keeps one misbehaving provider from becoming an outage: a circuit breaker (stop calling a provider that
// keeps failing, probe it again after a cool-down), a concurrency limit (a provider gets at most N generations at
// once; the wait for a slot is known, so routing can spill elsewhere), and retries with exponential backoff and
// jitter — only while nothing has been streamed to the visitor yet.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <random>

#include "llm/provider.h"
#include "metrics/metrics.h"

namespace parley::llm {

class CircuitBreaker {
 public:
  enum class State { closed, open, half_open };
  using Clock = std::chrono::steady_clock;

  CircuitBreaker(int failure_threshold = 5, std::chrono::milliseconds cool_down = std::chrono::seconds(30))
      : failure_threshold_(failure_threshold), cool_down_(cool_down) {}

  // Whether a call may go out now; in half-open state one probe call is let through at a time.
  bool allow(Clock::time_point now = Clock::now());
  void record_success();
  void record_failure(Clock::time_point now = Clock::now());
  State state(Clock::time_point now = Clock::now()) const;

 private:
  mutable std::mutex mutex_;
  int failure_threshold_;
  std::chrono::milliseconds cool_down_;
  int consecutive_failures_ = 0;
  State state_ = State::closed;
  Clock::time_point opened_at_{};
  bool probe_in_flight_ = false;
};

struct RetryPolicy {
  int max_attempts = 3;  // including the first
  std::chrono::milliseconds base_delay{200};
  std::chrono::milliseconds max_delay{5'000};
};

// The delay before retry number `attempt` (1 = the first retry): exponential with full jitter, at least the
// provider's Retry-After, at most max_delay.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt, std::optional<std::chrono::milliseconds> retry_after,
                                        std::mt19937_64& random);

// Whether a failure is worth another attempt at the same provider.
bool is_retryable(const GenerationOutcome& outcome);

struct ResilienceOptions {
  int max_concurrency = 16;
  int breaker_failures = 5;
  std::chrono::milliseconds breaker_cool_down{30'000};
  RetryPolicy retry;
};

// A provider wrapped with a breaker, a concurrency limit (excess requests queue) and retries before the first
// token. Thread-safe.
class ResilientProvider final : public Provider, public std::enable_shared_from_this<ResilientProvider> {
 public:
  ResilientProvider(std::shared_ptr<Provider> inner, ResilienceOptions options);
  ~ResilientProvider() override;

  const std::string& name() const override { return inner_->name(); }
  bool is_local() const override { return inner_->is_local(); }
  void generate(const GenerationRequest& request, GenerationSink sink,
                std::shared_ptr<const Cancellation> cancellation) override;

  bool available() { return breaker_.allow(); }
  CircuitBreaker::State breaker_state() const { return breaker_.state(); }
  // How long a new request would wait for a slot, estimated from the queue and recent generation times.
  std::chrono::milliseconds expected_wait() const;
  int in_flight() const;
  const Provider& inner() const { return *inner_; }

 private:
  struct Pending;
  void start(std::shared_ptr<Pending> pending);
  void attempt(std::shared_ptr<Pending> pending);
  void release_slot();
  void schedule_retry(std::shared_ptr<Pending> pending, std::chrono::milliseconds delay);
  void record_outcome(const GenerationOutcome& outcome, bool cancelled);

  // This provider's series (parley_model_*, parley_provider_*), found once.
  struct Metrics {
    explicit Metrics(const std::string& provider);
    metrics::Histogram& queue_wait;
    metrics::Histogram& first_token;
    metrics::Histogram& generation;
    metrics::Histogram& tokens_per_second;
    metrics::Counter& prompt_tokens;
    metrics::Counter& completion_tokens;
    metrics::Family<metrics::Counter>& errors;
    std::string provider;
  };

  std::shared_ptr<Provider> inner_;
  ResilienceOptions options_;
  CircuitBreaker breaker_;
  mutable std::mutex mutex_;
  int active_ = 0;
  std::deque<std::shared_ptr<Pending>> queue_;
  double average_ms_ = 1000;  // moving average of generation time, for expected_wait
  std::mt19937_64 random_{std::random_device{}()};
  class Timer;
  std::unique_ptr<Timer> timer_;
  Metrics metrics_;
  metrics::Collection collection_;  // queue depth, in flight, breaker state at scrape time; last: goes first
};

}  // namespace parley::llm
