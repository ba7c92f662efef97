#include "notify/dispatcher.h"

#include <unistd.h>

#include <deque>
#include <optional>
#include <random>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/ids.h"
#include "common/logging.h"
#include "common/utf8.h"
#include "crawl/fetcher.h"
#include "crawl/url.h"
#include "notify/signature.h"
#include "notify/slack.h"

namespace parley::notify {
namespace {

constexpr std::size_t kResponseExcerptBytes = 512;
constexpr std::size_t kRecordBatch = 128;                   // finished deliveries written per transaction
constexpr std::chrono::milliseconds kRecordInterval{100};  // ... or at least this often
constexpr int kEmailBatch = 4;

std::string default_owner() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + random_token(4);
}

std::int64_t millis(std::chrono::milliseconds duration) { return duration.count(); }

// What one attempt came to.
struct Outcome {
  store::Delivery delivery;
  store::DeliveryAttempt attempt;
  bool delivered = false;
  bool final = false;  // no retry can help (an SMTP 5xx)
};

// Writes the outcomes in one transaction: delivered, due again later, or given up. A delivery whose lease another
// dispatcher has taken meanwhile (ours expired) is left to it; its attempt is still logged.
void record(store::Store& store, const std::string& owner, const DispatcherOptions& options, std::vector<Outcome>& outcomes) {
  if (outcomes.empty()) return;
  const Status written = store.write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
    const std::int64_t now = unix_millis();
    for (auto& outcome : outcomes) {
      PARLEY_ASSIGN_OR_RETURN(auto current, tx.delivery(outcome.delivery.id));
      if (!current) continue;  // its webhook was deleted meanwhile
      PARLEY_TRY(tx.add_delivery_attempt(outcome.attempt));
      if (current->lease_owner != owner || current->state != "pending") continue;
      store::Delivery& row = *current;
      row.attempts += 1;
      row.lease_owner.clear();
      row.lease_expires_at = 0;
      row.last_status = outcome.attempt.status;
      row.last_error = outcome.attempt.error;
      if (outcome.delivered) {
        row.state = "delivered";
        row.delivered_at = now;
      } else {
        const std::int64_t next = now + millis(retry_delay(row.attempts, options.retry_base, options.retry_max));
        if (outcome.final || next > row.expires_at) {
          row.state = "failed";
        } else {
          row.next_attempt_at = next;
        }
      }
      PARLEY_TRY(tx.update_delivery(row));
    }
    return {};
  });
  if (!written.ok()) {
    // The leases expire and the deliveries are sent again: late, never lost.
    spdlog::warn("notify: cannot record {} delivery outcomes: {}", outcomes.size(), written.error().message);
  }
  outcomes.clear();
}

Result<std::vector<store::Delivery>> claim(store::Store& store, std::string_view channel, const std::string& owner,
                                           std::chrono::milliseconds lease, int limit) {
  std::vector<store::Delivery> claimed;
  PARLEY_TRY(store.write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
    const std::int64_t now = unix_millis();
    PARLEY_ASSIGN_OR_RETURN(claimed, tx.claim_deliveries(channel, now, owner, now + millis(lease), limit));
    return {};
  }));
  return claimed;
}

std::string excerpt(std::string_view body) { return repair_utf8(body.substr(0, utf8_prefix_length(body, kResponseExcerptBytes))); }

// A redirect may be followed when it stays on the same host (http → https included).
bool same_host(std::string_view from, std::string_view to) {
  const auto a = crawl::parse_url(from);
  const auto b = crawl::parse_url(to);
  return a.ok() && b.ok() && a->host == b->host;
}

crawl::FetchOptions fetch_options(const DispatcherOptions& options) {
  crawl::FetchOptions fetch;
  fetch.user_agent = "Parley-Webhooks/0.1";
  fetch.max_body_bytes = options.max_response_bytes;
  fetch.timeout = options.request_timeout;
  fetch.connect_timeout = options.connect_timeout;
  fetch.low_speed_window = std::chrono::duration_cast<std::chrono::seconds>(options.request_timeout);
  fetch.allow_private_addresses = options.allow_private_addresses;
  return fetch;
}

}  // namespace

std::chrono::milliseconds retry_delay(int failures, std::chrono::milliseconds base, std::chrono::milliseconds cap) {
  const int doublings = std::clamp(failures - 1, 0, 30);
  const auto raw = base.count() << std::min(doublings, 20);
  const std::int64_t delay = std::min<std::int64_t>(raw, cap.count());
  thread_local std::mt19937_64 random{std::random_device{}()};
  const std::int64_t jitter = delay / 5 > 0 ? static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(delay / 5)) : 0;
  return std::chrono::milliseconds(delay + jitter);
}

// One thread's webhook traffic: claimed deliveries wait in `queue_`, up to `concurrency` are in flight on the
// fetcher, finished ones are recorded in batches.
class Dispatcher::WebhookRound {
 public:
  WebhookRound(store::Store& store, const DispatcherOptions& options)
      : store_(store), options_(options), fetcher_(fetch_options(options)) {}

  // Claims, sends and records until nothing is due or in flight, or `stopping` says so. Returns how many
  // deliveries it claimed.
  std::size_t run(const std::atomic<bool>& stopping) {
    std::size_t claimed_total = 0;
    auto last_record = std::chrono::steady_clock::now();
    bool more_due = true;
    std::optional<std::chrono::steady_clock::time_point> drain_until;
    while (true) {
      if (stopping.load()) {
        // Nothing new goes out; what is in flight gets until the drain's end to be answered and recorded.
        if (!drain_until) drain_until = std::chrono::steady_clock::now() + options_.drain;
        queue_.clear();
        if (in_flight_.empty() || std::chrono::steady_clock::now() >= *drain_until) break;
        for (auto& response : fetcher_.poll(std::chrono::milliseconds(50))) finish(std::move(response));
        continue;
      }
      if (more_due && queue_.size() < static_cast<std::size_t>(options_.concurrency)) {
        const int wanted = options_.batch_size - static_cast<int>(queue_.size() + in_flight_.size());
        if (wanted > 0) {
          auto claimed = claim(store_, "webhook", options_.owner, options_.lease, wanted);
          if (!claimed.ok()) {
            spdlog::warn("notify: cannot claim webhook deliveries: {}", claimed.error().message);
            more_due = false;
          } else {
            more_due = static_cast<int>(claimed->size()) == wanted;
            claimed_total += claimed->size();
            for (auto& delivery : *claimed) queue_.push_back(std::move(delivery));
          }
        }
      }
      while (in_flight_.size() < static_cast<std::size_t>(options_.concurrency) && !queue_.empty()) {
        store::Delivery delivery = std::move(queue_.front());
        queue_.pop_front();
        const std::string url = delivery.target;
        send(std::move(delivery), url, 0);
      }
      if (in_flight_.empty() && queue_.empty()) break;
      for (auto& response : fetcher_.poll(std::chrono::milliseconds(50))) finish(std::move(response));
      if (finished_.size() >= kRecordBatch || std::chrono::steady_clock::now() - last_record >= kRecordInterval) {
        record(store_, options_.owner, options_, finished_);
        last_record = std::chrono::steady_clock::now();
      }
    }
    // Stopping: what is still in flight is abandoned (its lease is given back by stop()), what finished is recorded.
    fetcher_.cancel_all();
    in_flight_.clear();
    queue_.clear();
    record(store_, options_.owner, options_, finished_);
    return claimed_total;
  }

 private:
  struct InFlight {
    store::Delivery delivery;
    std::string url;
    int redirects = 0;
    std::int64_t started_at = 0;
  };

  void send(store::Delivery delivery, std::string url, int redirects) {
    const std::int64_t now = unix_millis();
    crawl::FetchRequest request = webhook_request(url, delivery, now / 1000);
    request.tag = next_tag_++;
    in_flight_.emplace(request.tag, InFlight{std::move(delivery), url, redirects, now});
    fetcher_.start(std::move(request));
  }

  void finish(crawl::FetchResponse response) {
    const auto it = in_flight_.find(response.tag);
    if (it == in_flight_.end()) return;
    InFlight transfer = std::move(it->second);
    in_flight_.erase(it);
    Outcome outcome;
    outcome.attempt.delivery_id = transfer.delivery.id;
    outcome.attempt.attempted_at = transfer.started_at;
    outcome.attempt.duration_ms = response.elapsed.count();
    outcome.attempt.status = response.status;
    outcome.attempt.response = excerpt(response.body);
    if (response.status >= 200 && response.status < 300) {
      outcome.delivered = true;
    } else if (response.status >= 300 && response.status < 400 && !response.location.empty()) {
      const auto base = crawl::parse_url(transfer.url);
      const auto target = base.ok() ? crawl::resolve_url(*base, response.location) : base;
      if (!target.ok()) {
        outcome.attempt.error = "redirected to an invalid address: " + repair_utf8(response.location);
      } else if (!same_host(transfer.url, target->str())) {
        outcome.attempt.error = "redirected to another host (" + target->str() + "): not followed";
      } else if (transfer.redirects >= options_.max_redirects) {
        outcome.attempt.error = "more than " + std::to_string(options_.max_redirects) + " redirects";
      } else {
        send(std::move(transfer.delivery), target->str(), transfer.redirects + 1);
        return;
      }
    } else if (response.status == 0) {
      outcome.attempt.error = response.error.empty() ? "no response" : response.error;
    } else {
      outcome.attempt.error = "HTTP " + std::to_string(response.status);
    }
    if (!outcome.delivered) {
      const RequestScope scope(transfer.delivery.request_id);
      spdlog::info("notify: delivery {} ({}) to {} failed: {}", transfer.delivery.id, transfer.delivery.event_type,
                   transfer.url, outcome.attempt.error);
    }
    outcome.delivery = std::move(transfer.delivery);
    finished_.push_back(std::move(outcome));
  }

  store::Store& store_;
  const DispatcherOptions& options_;
  crawl::Fetcher fetcher_;
  std::deque<store::Delivery> queue_;
  std::unordered_map<std::uint64_t, InFlight> in_flight_;
  std::vector<Outcome> finished_;
  std::uint64_t next_tag_ = 1;
};

crawl::FetchRequest webhook_request(std::string url, const store::Delivery& delivery, std::int64_t unix_seconds) {
  crawl::FetchRequest request;
  request.url = std::move(url);
  request.method = "POST";
  request.body = delivery.payload;
  request.headers = {"Content-Type: application/json",
                     "Parley-Event: " + delivery.event_type,
                     "Parley-Event-Id: " + delivery.event_id,
                     "Parley-Delivery: " + std::to_string(delivery.id),
                     std::string(kTimestampHeader) + ": " + std::to_string(unix_seconds),
                     std::string(kSignatureHeader) + ": " + sign_payload(delivery.secret, unix_seconds, delivery.payload)};
  // Lets the receiver's logs meet ours: the request whose change made the event.
  if (!delivery.request_id.empty()) request.headers.push_back("X-Request-Id: " + delivery.request_id);
  return request;
}

TestDelivery send_test_event(const store::Webhook& webhook, const std::string& workspace_name,
                             const DispatcherOptions& options) {
  Event event;
  event.id = "evt_" + random_token(12);
  event.type = std::string(event_type::webhook_test);
  event.workspace_id = webhook.workspace_id;
  event.bot_id = webhook.bot_id;
  event.created_at = unix_millis();
  event.data = {{"message", "A test event from Parley: this receiver is connected."}, {"workspace", workspace_name}};
  store::Delivery delivery;
  delivery.event_id = event.id;
  delivery.event_type = event.type;
  delivery.secret = webhook.secret;
  delivery.payload = webhook.format == "slack" ? slack_message(event).dump() : event_json(event).dump();
  crawl::Fetcher fetcher(fetch_options(options));
  crawl::FetchRequest request = webhook_request(webhook.url, delivery, event.created_at / 1000);
  request.tag = 1;
  const crawl::FetchResponse response = fetcher.fetch(std::move(request));
  TestDelivery out;
  out.status = response.status;
  out.response = excerpt(response.body);
  out.duration_ms = response.elapsed.count();
  out.delivered = response.status >= 200 && response.status < 300;
  if (response.status == 0) out.error = response.error.empty() ? "no response" : response.error;
  else if (!out.delivered) out.error = "the receiver answered HTTP " + std::to_string(response.status);
  return out;
}

Dispatcher::Dispatcher(store::Store& store, DispatcherOptions options) : store_(store), options_(std::move(options)) {
  if (options_.owner.empty()) options_.owner = default_owner();
}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
  stopping_ = false;
  webhook_thread_ = std::thread([this] { webhook_loop(); });
  email_thread_ = std::thread([this] { email_loop(); });
}

void Dispatcher::stop() {
  if (!webhook_thread_.joinable() && !email_thread_.joinable()) return;
  stopping_ = true;
  wake();
  if (webhook_thread_.joinable()) webhook_thread_.join();
  if (email_thread_.joinable()) email_thread_.join();
  const Status released = store_.write(store::Scope::system(), [&](store::WriteTx& tx) { return tx.release_deliveries(options_.owner); });
  if (!released.ok()) spdlog::warn("notify: leases not given back (they expire): {}", released.error().message);
}

void Dispatcher::wake() {
  {
    std::lock_guard lock(mutex_);
    ++wakes_;
  }
  wake_.notify_all();
}

std::uint64_t Dispatcher::idle(std::chrono::milliseconds timeout, std::uint64_t seen) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, timeout, [&] { return wakes_ != seen || stopping_.load(); });
  return wakes_;
}

void Dispatcher::webhook_loop() {
  std::uint64_t seen = 0;
  WebhookRound round(store_, options_);
  while (!stopping_.load()) {
    {
      std::lock_guard lock(mutex_);
      seen = wakes_;
    }
    std::size_t claimed = 0;
    try {
      claimed = round.run(stopping_);
    } catch (const std::exception& error) {
      spdlog::error("notify: webhook round failed: {}", error.what());
    }
    if (claimed == 0) idle(options_.idle_poll, seen);
  }
}

void Dispatcher::email_loop() {
  std::uint64_t seen = 0;
  while (!stopping_.load()) {
    {
      std::lock_guard lock(mutex_);
      seen = wakes_;
    }
    std::size_t claimed_count = 0;
    try {
      auto claimed = claim(store_, "email", options_.owner, options_.lease, kEmailBatch);
      if (!claimed.ok()) {
        spdlog::warn("notify: cannot claim emails: {}", claimed.error().message);
      } else {
        claimed_count = claimed->size();
        std::vector<Outcome> outcomes;
        for (auto& delivery : *claimed) {
          if (stopping_.load()) break;  // the rest is given back by stop()
          Outcome outcome;
          outcome.attempt.delivery_id = delivery.id;
          outcome.attempt.attempted_at = unix_millis();
          const auto started = std::chrono::steady_clock::now();
          const Json payload = Json::parse(delivery.payload, nullptr, false);
          std::vector<std::string> recipients;
          for (std::size_t start = 0; start < delivery.target.size();) {
            const std::size_t end = std::min(delivery.target.find(',', start), delivery.target.size());
            if (end > start) recipients.push_back(delivery.target.substr(start, end - start));
            start = end + 1;
          }
          const std::string message =
              compose_email(options_.smtp.from, recipients, payload.value("subject", ""), payload.value("text", ""),
                            std::to_string(delivery.id) + "." + delivery.event_id + "@parley", unix_millis());
          const Status sent = send_email(options_.smtp, recipients, message);
          outcome.attempt.duration_ms =
              std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
          outcome.delivered = sent.ok();
          if (!sent.ok()) {
            outcome.attempt.error = sent.error().message;
            outcome.final = sent.error().code == ErrorCode::unprocessable;
          }
          outcome.delivery = std::move(delivery);
          outcomes.push_back(std::move(outcome));
        }
        record(store_, options_.owner, options_, outcomes);
      }
    } catch (const std::exception& error) {
      spdlog::error("notify: email round failed: {}", error.what());
    }
    if (claimed_count == 0) idle(options_.idle_poll, seen);
  }
}

}  // namespace parley::notify
