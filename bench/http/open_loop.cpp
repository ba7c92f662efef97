// An open-loop load generator for the chat endpoint: requests are sent at a constant arrival rate whatever the
// server does (unlike wrk's closed loop, where a slow server slows its own load down), over keep-alive connections
// opened as needed, and each request's latency is measured from the moment it was due — so a queue anywhere (server,
// connections, this program) counts against the server, as a visitor would see it.
//
//   open_loop --port P --bot BOT [--find-capacity SECONDS] [--rates R1,R2,...] [--multipliers 0.5,1,2,4]
//             [--duration S] [--timeout-ms T] [--max-connections N]
//
// With --find-capacity, it first measures capacity closed-loop (64 connections back to back for that many seconds)
// and then runs each multiplier of it; otherwise each --rates entry. Per phase it prints one RESULT line: offered
// and achieved rates, answered (200), shed (503), other statuses, timeouts (no answer within --timeout-ms), failed
// connections (refused, reset: a FAILED line says why), the admitted and shed latencies, and how late this program
// itself sent the requests (send_lag: on a loaded machine the generator can fall behind its schedule too).
#include <algorithm>
#include <utility>
#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "bench/support/stats.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using parley::bench::percentile;

namespace {

const std::vector<std::string> kQuestions = {
    "How much is shipping?",
    "How many days do I have to return a bike?",
    "When is the Seattle store open?",
    "How much weight can the Haul carry?",
    "Do you sell electric scooters?",
    "How do I reset my password?",
    "How much does a hydraulic brake bleed cost?",
    "Can I pay in monthly installments?",
};

struct Options {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::string bot;
  double find_capacity_seconds = 0;
  std::vector<double> rates;
  std::vector<double> multipliers = {0.5, 1, 2, 4};
  double duration = 10;
  int timeout_ms = 5000;
  int max_connections = 4000;
};

// Sample statuses that are not HTTP statuses: no answer within --timeout-ms, or the connection failed (refused,
// reset, closed) before an answer.
constexpr int kTimedOut = 0;
constexpr int kFailed = -1;

struct Sample {
  int status = 0;  // kTimedOut, kFailed, or the HTTP status
  double latency_ms = 0;
};

std::string request_bytes(const Options& options, std::size_t index) {
  const std::string body = "{\"message\":\"" + kQuestions[index % kQuestions.size()] + "\"}";
  return "POST /api/v1/bots/" + options.bot + "/chat HTTP/1.1\r\nHost: " + options.host +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class Generator;

// One keep-alive connection carrying one request at a time.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::io_context& io, Generator& generator) : socket_(io), generator_(generator) {}
  void connect(const tcp::endpoint& endpoint, Clock::time_point due, std::size_t index);
  void send(Clock::time_point due, std::size_t index);
  bool busy() const { return busy_; }
  Clock::time_point due() const { return due_; }
  void abandon() {
    beast::error_code ignored;
    socket_.close(ignored);
  }
  // The watchdog gives up on the request in flight: it counts as timed out, not as failed.
  void time_out() {
    timed_out_ = true;
    abandon();
  }

 private:
  // `error`: why the request got no answer (empty when it did).
  void finish(int status, const beast::error_code& error = {});

  tcp::socket socket_;
  Generator& generator_;
  beast::flat_buffer buffer_;
  std::string request_;
  std::unique_ptr<http::response_parser<http::string_body>> response_;
  Clock::time_point due_{};
  bool busy_ = false;
  bool timed_out_ = false;
};

class Generator {
 public:
  Generator(asio::io_context& io, const Options& options)
      : io_(io), options_(options), endpoint_(asio::ip::make_address(options.host), options.port), timer_(io), watchdog_(io) {
    for (std::size_t i = 0; i < kQuestions.size(); ++i) requests_.push_back(request_bytes(options, i));
  }

  const std::string& request(std::size_t index) const { return requests_[index % requests_.size()]; }
  const Options& options() const { return options_; }

  // Sends requests at `rate` per second for `seconds`; then waits for the stragglers (or their timeout).
  std::vector<Sample> open_loop(double rate, double seconds) {
    samples_.clear();
    const auto start = Clock::now() + std::chrono::milliseconds(50);
    const auto total = static_cast<std::size_t>(rate * seconds);
    next_ = 0;
    schedule_ = [start, rate](std::size_t i) {
      return start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(static_cast<double>(i) / rate));
    };
    total_ = total;
    arm_timer();
    arm_watchdog();
    io_.restart();
    io_.run();
    return std::move(samples_);
  }

  // Capacity: `connections` back to back for `seconds`; answered requests per second.
  double closed_loop(int connections, double seconds) {
    samples_.clear();
    closed_until_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    closed_ = true;
    total_ = 0;
    for (int c = 0; c < connections; ++c) dispatch(Clock::now(), static_cast<std::size_t>(c));
    arm_watchdog();
    io_.restart();
    io_.run();
    closed_ = false;
    std::size_t answered = 0;
    for (const auto& sample : samples_) answered += sample.status == 200;
    return static_cast<double>(answered) / seconds;
  }

  std::vector<double> take_send_lags() { return std::exchange(send_lags_, {}); }
  void failed_because(const std::string& reason) { ++failure_reasons_[reason]; }
  // Why requests failed since the last call, most frequent first ("reason: count, ...").
  std::string take_failure_reasons() {
    std::vector<std::pair<std::string, int>> reasons(failure_reasons_.begin(), failure_reasons_.end());
    std::sort(reasons.begin(), reasons.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::string out;
    for (const auto& [reason, count] : reasons) out += (out.empty() ? "" : ", ") + reason + ": " + std::to_string(count);
    failure_reasons_.clear();
    return out;
  }

  void completed(const std::shared_ptr<Connection>& connection, Clock::time_point due, int status) {
    samples_.push_back({status, std::chrono::duration<double, std::milli>(Clock::now() - due).count()});
    --outstanding_;
    if (status == kTimedOut || status == kFailed) {
      std::erase(connections_, connection);  // a failed connection is not reused
    } else {
      idle_.push_back(connection);
    }
    if (closed_ && Clock::now() < closed_until_) {
      dispatch(Clock::now(), samples_.size());
      return;
    }
    if (!waiting_.empty()) {
      auto [next_due, index] = waiting_.front();
      waiting_.pop_front();
      dispatch(next_due, index);
    }
    maybe_stop();
  }

 private:
  void dispatch(Clock::time_point due, std::size_t index) {
    ++outstanding_;
    if (!idle_.empty()) {
      auto connection = idle_.back();
      idle_.pop_back();
      note_send_lag(due);
      connection->send(due, index);
      return;
    }
    if (static_cast<int>(connections_.size()) < options_.max_connections) {
      note_send_lag(due);
      auto connection = std::make_shared<Connection>(io_, *this);
      connections_.push_back(connection);
      connection->connect(endpoint_, due, index);
      return;
    }
    --outstanding_;
    waiting_.emplace_back(due, index);  // every connection busy: sent as one frees, its latency still counted from `due`
  }

  void note_send_lag(Clock::time_point due) {
    send_lags_.push_back(std::chrono::duration<double, std::milli>(Clock::now() - due).count());
  }

  void arm_timer() {
    if (next_ >= total_) return;
    timer_.expires_at(schedule_(next_));
    timer_.async_wait([this](const beast::error_code& error) {
      if (error) return;
      const auto now = Clock::now();
      while (next_ < total_ && schedule_(next_) <= now) {
        dispatch(schedule_(next_), next_);
        ++next_;
      }
      arm_timer();
      maybe_stop();
    });
  }

  // Requests that outlive the timeout count as timeouts; their connections are closed.
  void arm_watchdog() {
    watchdog_.expires_after(std::chrono::milliseconds(50));
    watchdog_.async_wait([this](const beast::error_code& error) {
      if (error) return;
      const auto limit = Clock::now() - std::chrono::milliseconds(options_.timeout_ms);
      for (auto& connection : std::vector<std::shared_ptr<Connection>>(connections_)) {
        if (connection->busy() && connection->due() < limit) connection->time_out();
      }
      for (auto it = waiting_.begin(); it != waiting_.end();) {
        if (it->first < limit) {
          samples_.push_back({kTimedOut, static_cast<double>(options_.timeout_ms)});
          it = waiting_.erase(it);
        } else {
          ++it;
        }
      }
      if (!maybe_stop()) arm_watchdog();
    });
  }

  bool maybe_stop() {
    const bool done = closed_ ? Clock::now() >= closed_until_ && outstanding_ == 0
                              : next_ >= total_ && outstanding_ == 0 && waiting_.empty();
    if (done) {
      timer_.cancel();
      watchdog_.cancel();
    }
    return done;
  }

  asio::io_context& io_;
  Options options_;
  tcp::endpoint endpoint_;
  asio::steady_timer timer_;
  asio::steady_timer watchdog_;
  std::vector<std::string> requests_;
  std::vector<std::shared_ptr<Connection>> connections_;
  std::vector<std::shared_ptr<Connection>> idle_;
  std::deque<std::pair<Clock::time_point, std::size_t>> waiting_;
  std::vector<Sample> samples_;
  std::map<std::string, int> failure_reasons_;
  std::vector<double> send_lags_;
  std::function<Clock::time_point(std::size_t)> schedule_;
  std::size_t next_ = 0;
  std::size_t total_ = 0;
  long outstanding_ = 0;
  bool closed_ = false;
  Clock::time_point closed_until_{};
};

void Connection::connect(const tcp::endpoint& endpoint, Clock::time_point due, std::size_t index) {
  busy_ = true;
  due_ = due;
  socket_.async_connect(endpoint, [self = shared_from_this(), due, index](const beast::error_code& error) {
    if (error) return self->finish(kFailed, error);
    self->socket_.set_option(tcp::no_delay(true));
    self->send(due, index);
  });
}

void Connection::send(Clock::time_point due, std::size_t index) {
  busy_ = true;
  due_ = due;
  const std::string& bytes = generator_.request(index);
  asio::async_write(socket_, asio::buffer(bytes), [self = shared_from_this()](const beast::error_code& error, std::size_t) {
    if (error) return self->finish(kFailed, error);
    self->response_ = std::make_unique<http::response_parser<http::string_body>>();
    self->response_->body_limit(1 << 20);
    http::async_read(self->socket_, self->buffer_, *self->response_,
                     [self](const beast::error_code& read_error, std::size_t) {
                       if (read_error) return self->finish(kFailed, read_error);
                       self->finish(static_cast<int>(self->response_->get().result_int()));
                     });
  });
}

void Connection::finish(int status, const beast::error_code& error) {
  busy_ = false;
  if (status == kFailed) {
    if (timed_out_) {
      status = kTimedOut;
    } else {
      generator_.failed_because(error.message());
    }
    abandon();
  }
  generator_.completed(shared_from_this(), due_, status);
}

// `send_lag_ms`: how late this program sent each request after its due time (its own share of the latency);
// `failures`: why connections failed.
void report(const std::string& phase, double rate, double seconds, const std::vector<Sample>& samples,
            const std::vector<double>& send_lag_ms, const std::string& failures) {
  std::vector<double> admitted, shed;
  std::size_t other = 0, timeouts = 0, failed = 0;
  for (const auto& sample : samples) {
    if (sample.status == 200) {
      admitted.push_back(sample.latency_ms);
    } else if (sample.status == 503) {
      shed.push_back(sample.latency_ms);
    } else if (sample.status == kTimedOut) {
      ++timeouts;
    } else if (sample.status == kFailed) {
      ++failed;
    } else {
      ++other;
    }
  }
  std::printf("RESULT phase=%s offered_rps=%.0f answered_rps=%.0f sent=%zu answered=%zu shed=%zu other=%zu timeouts=%zu "
              "failed=%zu admitted_p50_ms=%.2f admitted_p90_ms=%.2f admitted_p99_ms=%.2f admitted_max_ms=%.2f "
              "shed_p99_ms=%.2f send_lag_p99_ms=%.2f\n",
              phase.c_str(), rate, static_cast<double>(admitted.size()) / seconds, samples.size(), admitted.size(),
              shed.size(), other, timeouts, failed, percentile(admitted, 0.50), percentile(admitted, 0.90),
              percentile(admitted, 0.99), admitted.empty() ? 0 : *std::max_element(admitted.begin(), admitted.end()),
              percentile(shed, 0.99), percentile(send_lag_ms, 0.99));
  if (!failures.empty()) std::printf("FAILED %s: %s\n", phase.c_str(), failures.c_str());
  std::fflush(stdout);
}

std::vector<double> parse_list(const std::string& text) {
  std::vector<double> out;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) out.push_back(std::stod(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--host") options.host = value;
    else if (flag == "--port") options.port = static_cast<unsigned short>(std::stoi(value));
    else if (flag == "--bot") options.bot = value;
    else if (flag == "--find-capacity") options.find_capacity_seconds = std::stod(value);
    else if (flag == "--rates") options.rates = parse_list(value);
    else if (flag == "--multipliers") options.multipliers = parse_list(value);
    else if (flag == "--duration") options.duration = std::stod(value);
    else if (flag == "--timeout-ms") options.timeout_ms = std::stoi(value);
    else if (flag == "--max-connections") options.max_connections = std::stoi(value);
    else {
      std::cerr << "unknown option " << flag << "\n";
      return 2;
    }
  }
  if (options.port == 0 || options.bot.empty()) {
    std::cerr << "usage: open_loop --port P --bot BOT [--find-capacity S | --rates R,...] [--multipliers M,...] "
                 "[--duration S] [--timeout-ms T] [--max-connections N]\n";
    return 2;
  }
  asio::io_context io;
  Generator generator(io, options);
  std::vector<std::pair<std::string, double>> phases;
  if (options.find_capacity_seconds > 0) {
    const double capacity = generator.closed_loop(64, options.find_capacity_seconds);
    (void)generator.take_send_lags();
    const std::string failures = generator.take_failure_reasons();
    if (!failures.empty()) std::printf("FAILED capacity: %s\n", failures.c_str());
    std::printf("CAPACITY answered_rps=%.0f (closed loop, 64 connections, %.0f s)\n", capacity, options.find_capacity_seconds);
    for (const double m : options.multipliers) {
      char name[32];
      std::snprintf(name, sizeof name, "%gx", m);
      phases.emplace_back(name, m * capacity);
    }
  }
  for (const double rate : options.rates) phases.emplace_back(std::to_string(static_cast<long>(rate)) + "rps", rate);
  for (const auto& [name, rate] : phases) {
    const auto samples = generator.open_loop(rate, options.duration);
    report(name, rate, options.duration, samples, generator.take_send_lags(), generator.take_failure_reasons());
  }
  return 0;
}
