#include "llm/resilience.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <map>
#include <thread>

#include "common/logging.h"

namespace parley::llm {

bool CircuitBreaker::allow(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (state_ == State::open && now - opened_at_ >= cool_down_) {
    state_ = State::half_open;
    probe_in_flight_ = false;
  }
  if (state_ == State::closed) return true;
  if (state_ == State::half_open && !probe_in_flight_) {
    probe_in_flight_ = true;
    return true;
  }
  return false;
}

void CircuitBreaker::record_success() {
  std::lock_guard lock(mutex_);
  consecutive_failures_ = 0;
  state_ = State::closed;
  probe_in_flight_ = false;
}

void CircuitBreaker::record_failure(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  ++consecutive_failures_;
  if (state_ == State::half_open || consecutive_failures_ >= failure_threshold_) {
    state_ = State::open;
    opened_at_ = now;
  }
  probe_in_flight_ = false;
}

CircuitBreaker::State CircuitBreaker::state(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  if (state_ == State::open && now - opened_at_ >= cool_down_) return State::half_open;
  return state_;
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt,
                                        std::optional<std::chrono::milliseconds> retry_after, std::mt19937_64& random) {
  const double ceiling = std::min<double>(static_cast<double>(policy.max_delay.count()),
                                          static_cast<double>(policy.base_delay.count()) * std::pow(2.0, attempt - 1));
  std::uniform_real_distribution<double> jitter(0.0, ceiling);
  auto delay = std::chrono::milliseconds(static_cast<long long>(jitter(random)));
  if (retry_after) delay = std::max(delay, std::min(*retry_after, policy.max_delay));
  return delay;
}

bool is_retryable(const GenerationOutcome& outcome) {
  if (!outcome.error || outcome.result.finish_reason == "cancelled") return false;
  switch (outcome.error->code) {
    case ErrorCode::rate_limited:
    case ErrorCode::unavailable:
    case ErrorCode::timeout:
      return true;
    default:
      return false;  // our request was refused: the same request will be refused again
  }
}

// Runs callbacks at given times on one thread (retry delays).
class ResilientProvider::Timer {
 public:
  Timer() : thread_([this] { loop(); }) {}
  ~Timer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  void at(std::chrono::steady_clock::time_point when, std::function<void()> work) {
    {
      std::lock_guard lock(mutex_);
      due_.emplace(when, std::move(work));
    }
    wake_.notify_all();
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (due_.empty()) {
        wake_.wait(lock);
        continue;
      }
      const auto next = due_.begin()->first;
      if (std::chrono::steady_clock::now() < next) {
        wake_.wait_until(lock, next);
        continue;
      }
      auto work = std::move(due_.begin()->second);
      due_.erase(due_.begin());
      lock.unlock();
      work();
      lock.lock();
    }
    // Pending retries run at once on shutdown so that every sink still hears its outcome.
    while (!due_.empty()) {
      auto work = std::move(due_.begin()->second);
      due_.erase(due_.begin());
      lock.unlock();
      work();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> due_;
  bool stopping_ = false;
  std::thread thread_;
};

struct ResilientProvider::Pending {
  GenerationRequest request;
  GenerationSink sink;
  std::shared_ptr<const Cancellation> cancellation;
  int attempts = 0;
  bool streamed = false;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

ResilientProvider::Metrics::Metrics(const std::string& name)
    : queue_wait(metrics::registry()
                     .histogram("parley_model_queue_wait_seconds",
                                "Time a generation waited for one of its provider's concurrency slots", {"provider"})
                     .labels({name})),
      first_token(metrics::registry()
                      .histogram("parley_first_token_seconds", "From a generation's start to its first text",
                                 {"provider"})
                      .labels({name})),
      generation(metrics::registry()
                     .histogram("parley_generation_duration_seconds", "Whole generations, first to last token",
                                {"provider"})
                     .labels({name})),
      tokens_per_second(metrics::registry()
                            .histogram("parley_provider_tokens_per_second",
                                       "Completion tokens per second of each generation after its first token",
                                       {"provider"}, metrics::rate_buckets())
                            .labels({name})),
      prompt_tokens(metrics::registry()
                        .counter("parley_provider_tokens_total", "Tokens read and written by providers",
                                 {"provider", "kind"})
                        .labels({name, "prompt"})),
      completion_tokens(metrics::registry()
                            .counter("parley_provider_tokens_total", "Tokens read and written by providers",
                                     {"provider", "kind"})
                            .labels({name, "completion"})),
      errors(metrics::registry().counter("parley_provider_errors_total",
                                         "Failed generations (each attempt), by provider and error code",
                                         {"provider", "code"})),
      provider(name) {}

ResilientProvider::ResilientProvider(std::shared_ptr<Provider> inner, ResilienceOptions options)
    : inner_(std::move(inner)),
      options_(options),
      breaker_(options.breaker_failures, options.breaker_cool_down),
      timer_(std::make_unique<Timer>()),
      metrics_(inner_->name()) {
  collection_ = metrics::registry().collect([this](metrics::Sink& sink) {
    int active = 0;
    std::size_t queued = 0;
    double average_ms = 0;
    {
      std::lock_guard lock(mutex_);
      active = active_;
      queued = queue_.size();
      average_ms = average_ms_;
    }
    const std::string& provider = metrics_.provider;
    sink.gauge("parley_model_queue_depth", "Generations waiting for a concurrency slot of the provider",
               {{"provider", provider}}, static_cast<double>(queued));
    sink.gauge("parley_model_in_flight", "Generations running at the provider", {{"provider", provider}}, active);
    sink.gauge("parley_model_concurrency_limit", "The provider's concurrency slots", {{"provider", provider}},
               options_.max_concurrency);
    sink.gauge("parley_model_expected_wait_seconds", "The queue wait a new generation would expect (routing spills on it)",
               {{"provider", provider}}, static_cast<double>(expected_wait().count()) / 1000.0);
    sink.gauge("parley_model_average_generation_seconds", "Moving average of the provider's generation time",
               {{"provider", provider}}, average_ms / 1000.0);
    const auto state = breaker_.state();
    for (const auto& [name, value] : {std::pair{"closed", CircuitBreaker::State::closed},
                                     std::pair{"open", CircuitBreaker::State::open},
                                     std::pair{"half_open", CircuitBreaker::State::half_open}}) {
      sink.gauge("parley_provider_breaker_state", "1 for the circuit breaker's current state",
                 {{"provider", provider}, {"state", name}}, state == value ? 1 : 0);
    }
  });
}

void ResilientProvider::record_outcome(const GenerationOutcome& outcome, bool cancelled) {
  const auto& result = outcome.result;
  metrics_.prompt_tokens.add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, result.usage.prompt_tokens)));
  metrics_.completion_tokens.add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, result.usage.completion_tokens)));
  if (!outcome.ok()) {
    if (!cancelled) metrics_.errors.labels({metrics_.provider, error_code_name(outcome.error->code)}).add();
    return;
  }
  if (result.first_token_ms > 0) metrics_.first_token.observe(result.first_token_ms / 1000.0);
  metrics_.generation.observe(result.total_ms / 1000.0);
  const double decoding_seconds = (result.total_ms - result.first_token_ms) / 1000.0;
  if (result.usage.completion_tokens > 1 && decoding_seconds > 0) {
    metrics_.tokens_per_second.observe(static_cast<double>(result.usage.completion_tokens - 1) / decoding_seconds);
  }
}

ResilientProvider::~ResilientProvider() = default;

void ResilientProvider::generate(const GenerationRequest& request, GenerationSink sink,
                                 std::shared_ptr<const Cancellation> cancellation) {
  auto pending = std::make_shared<Pending>();
  pending->request = request;
  pending->sink = std::move(sink);
  pending->cancellation = std::move(cancellation);
  if (!breaker_.allow()) {
    GenerationOutcome refused;
    refused.result.provider = name();
    refused.result.finish_reason = "error";
    refused.error = make_error(ErrorCode::unavailable, name() + " is failing; its circuit breaker is open");
    pending->sink.on_done(std::move(refused));
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (active_ >= options_.max_concurrency) {
      queue_.push_back(std::move(pending));
      return;
    }
    ++active_;
  }
  attempt(std::move(pending));
}

void ResilientProvider::attempt(std::shared_ptr<Pending> pending) {
  if (++pending->attempts == 1) {
    metrics_.queue_wait.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - pending->started).count());
  }
  GenerationSink inner_sink;
  inner_sink.on_delta = [pending](std::string_view text) {
    pending->streamed = true;
    if (pending->sink.on_delta) pending->sink.on_delta(text);
  };
  std::weak_ptr<ResilientProvider> self = weak_from_this();
  inner_sink.on_done = [self, pending](GenerationOutcome outcome) {
    const RequestScope scope(pending->request.request_id);
    auto provider = self.lock();
    if (!provider) {
      pending->sink.on_done(std::move(outcome));
      return;
    }
    const bool cancelled = pending->cancellation && pending->cancellation->cancelled();
    provider->record_outcome(outcome, cancelled);
    if (outcome.ok()) {
      provider->breaker_.record_success();
      {
        std::lock_guard lock(provider->mutex_);
        provider->average_ms_ = 0.8 * provider->average_ms_ + 0.2 * outcome.result.total_ms;
      }
    } else if (!cancelled && outcome.error->code != ErrorCode::invalid_request) {
      provider->breaker_.record_failure();
    }
    const bool retry = !outcome.ok() && !cancelled && !pending->streamed && is_retryable(outcome) &&
                       pending->attempts < provider->options_.retry.max_attempts && provider->breaker_.allow();
    if (retry) {
      std::chrono::milliseconds delay;
      {
        std::lock_guard lock(provider->mutex_);
        delay = backoff_delay(provider->options_.retry, pending->attempts, outcome.retry_after, provider->random_);
      }
      provider->schedule_retry(pending, delay);
      return;
    }
    provider->release_slot();
    // Not held while the caller hears of the end: the caller may then let the registry go, and this callback
    // runs on the model's thread, where the last reference to a local engine must not be dropped.
    provider.reset();
    pending->sink.on_done(std::move(outcome));
  };
  inner_->generate(pending->request, std::move(inner_sink), pending->cancellation);
}

void ResilientProvider::schedule_retry(std::shared_ptr<Pending> pending, std::chrono::milliseconds delay) {
  std::weak_ptr<ResilientProvider> self = weak_from_this();
  timer_->at(std::chrono::steady_clock::now() + delay, [self, pending] {
    if (auto provider = self.lock()) provider->attempt(pending);
  });
}

void ResilientProvider::release_slot() {
  std::shared_ptr<Pending> next;
  {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) {
      --active_;
      return;
    }
    next = std::move(queue_.front());  // the slot passes straight to the next waiter
    queue_.pop_front();
  }
  attempt(std::move(next));
}

std::chrono::milliseconds ResilientProvider::expected_wait() const {
  std::lock_guard lock(mutex_);
  if (active_ < options_.max_concurrency) return std::chrono::milliseconds(0);
  const double rounds = static_cast<double>(queue_.size() + 1) / options_.max_concurrency;
  return std::chrono::milliseconds(static_cast<long long>(rounds * average_ms_));
}

int ResilientProvider::in_flight() const {
  std::lock_guard lock(mutex_);
  return active_ + static_cast<int>(queue_.size());
}

}  // namespace parley::llm
