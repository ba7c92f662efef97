#include "http/server.h"

#include <atomic>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "common/logging.h"
#include "common/utf8.h"
#include "metrics/metrics.h"

namespace parley::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

namespace {

// The largest body of a refused request that is still read (and dropped) to keep the connection alive.
constexpr std::uint64_t kDiscardableBody = 16 * 1024;

// The request as handlers see it, without the body (read later, unless the screen refuses the request first).
Request request_head(const bhttp::request_header<>& header, std::string remote) {
  Request request;
  request.method = std::string(header.method_string());
  request.target = std::string(header.target());
  request.remote_address = std::move(remote);
  for (const auto& field : header) request.headers[std::string(field.name_string())] = std::string(field.value());
  return request;
}

// Splits the target into decoded path and query; a malformed target becomes an error response.
std::optional<Response> parse_target(Request& request) {
  const std::string_view target = request.target;
  const auto question = target.find('?');
  auto path = url_decode(target.substr(0, question), false);
  if (!path.ok()) return error_response(path.error());
  request.path = std::move(path).value();
  if (question != std::string_view::npos) {
    auto query = parse_query(target.substr(question + 1));
    if (!query.ok()) return error_response(query.error());
    request.query = std::move(query).value();
  }
  return std::nullopt;
}

// The framing of a parsed request header (framing_refusal, http/message.h).
std::optional<Response> framing_error(const bhttp::request_header<>& header) {
  std::string transfer_encoding;
  for (const auto& field : header) {
    if (field.name() != bhttp::field::transfer_encoding) continue;
    if (!transfer_encoding.empty()) transfer_encoding += ',';
    transfer_encoding.append(field.value().data(), field.value().size());
  }
  return framing_refusal(header.count(bhttp::field::transfer_encoding) > 0, transfer_encoding,
                         header.count(bhttp::field::content_length) > 0);
}

bhttp::response<bhttp::string_body> to_beast(Response& response, unsigned version, bool keep_alive, bool head) {
  bhttp::response<bhttp::string_body> message{static_cast<bhttp::status>(response.status), version};
  message.set(bhttp::field::server, "Parley");
  message.set("X-Content-Type-Options", "nosniff");
  for (auto& [name, value] : response.headers) message.set(name, value);
  message.keep_alive(keep_alive);
  if (head) {
    message.content_length(response.body.size());
  } else {
    message.body() = std::move(response.body);
    message.prepare_payload();
  }
  return message;
}

// What every server of the process counts (metrics/metrics.h).
struct HttpMetrics {
  metrics::Family<metrics::Counter>& requests = metrics::registry().counter(
      "parley_http_requests_total", "HTTP requests answered, by route and status", {"route", "status"}, 4096);
  metrics::Family<metrics::Histogram>& duration = metrics::registry().histogram(
      "parley_http_request_duration_seconds",
      "From a request's header read to its response written (to the end, for event streams)", {"route"},
      metrics::latency_buckets(), 512);
  metrics::Gauge& connections = metrics::registry().gauge("parley_http_connections", "Open client connections").get();
  metrics::Gauge& in_flight =
      metrics::registry().gauge("parley_http_requests_in_flight", "Requests being handled or streamed").get();
  metrics::Histogram& queue_wait = metrics::registry()
                                       .histogram("parley_http_queue_wait_seconds",
                                                  "Time a request waited for a worker thread after its header was read")
                                       .get();
  metrics::Family<metrics::Counter>& shed = metrics::registry().counter(
      "parley_overload_shed_total", "Requests refused with 503 because the server was past capacity", {"route"}, 512);

  void record(std::string_view route, int status, std::chrono::steady_clock::time_point started) {
    char digits[4] = {static_cast<char>('0' + status / 100 % 10), static_cast<char>('0' + status / 10 % 10),
                      static_cast<char>('0' + status % 10), 0};
    requests.labels({route, std::string_view(digits, 3)}).add();
    duration.labels({route}).observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
};

HttpMetrics& http_metrics() {
  static HttpMetrics instance;
  return instance;
}

Response shed_response() {
  Response response = error_response(ErrorCode::unavailable, "the server is over capacity; retry in a second");
  response.headers["Retry-After"] = "1";
  return response;
}

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, const Router& router)
      : options_(std::move(options)),
        router_(router),
        io_(options_.io_threads),
        workers_(options_.worker_threads),
        acceptor_(io_),
        admission_(options_.admission) {}

  Status listen() {
    try {
      const tcp::endpoint endpoint(asio::ip::make_address(options_.host), options_.port);
      acceptor_.open(endpoint.protocol());
      acceptor_.set_option(asio::socket_base::reuse_address(true));
      acceptor_.bind(endpoint);
      acceptor_.listen(asio::socket_base::max_listen_connections);
      port_ = acceptor_.local_endpoint().port();
    } catch (const std::exception& error) {
      return make_error(ErrorCode::unavailable, "cannot listen on " + options_.host + ":" +
                                                    std::to_string(options_.port) + ": " + error.what());
    }
    return {};
  }

  unsigned short port() const { return port_; }

  void start() {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    for (int i = 0; i < options_.io_threads; ++i) threads_.emplace_back([this] { run_io(); });
  }

  void stop() {
    if (stopped_.exchange(true)) return;
    asio::post(io_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    const auto deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
    while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (const int left = in_flight_.load(); left > 0) {
      spdlog::warn("{} request(s) or stream(s) still running after the {} ms drain: cut off", left,
                   options_.drain_timeout.count());
    }
    io_.stop();
    for (auto& thread : threads_) thread.join();
    threads_.clear();
    workers_.stop();
    workers_.join();
  }

  void run_until_signal(const std::function<void()>& on_reload) {
    asio::io_context signals_io;
    asio::signal_set signals(signals_io, SIGINT, SIGTERM);
    if (on_reload) signals.add(SIGHUP);
    std::function<void(const beast::error_code&, int)> on_signal = [&](const beast::error_code& error, int signal) {
      if (error) return;
      if (signal == SIGHUP) {
        spdlog::info("received SIGHUP: reloading the configuration");
        try {
          on_reload();
        } catch (const std::exception& failure) {
          spdlog::error("reload failed: {}", failure.what());
        }
        signals.async_wait(on_signal);
        return;
      }
      spdlog::info("received signal {}: draining in-flight requests (up to {} ms)", signal, options_.drain_timeout.count());
    };
    signals.async_wait(on_signal);
    signals_io.run();
    stop();
  }

 private:
  void run_io() {
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& error) {
        // A handler bug must not take the server down: log and keep serving.
        spdlog::error("uncaught exception on an I/O thread: {}", error.what());
      }
    }
  }

  awaitable<void> accept_loop() {
    for (;;) {
      beast::error_code error;
      tcp::socket socket = co_await acceptor_.async_accept(asio::make_strand(io_), asio::redirect_error(use_awaitable, error));
      if (error) {
        if (error == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        spdlog::warn("accept failed: {}", error.message());
        continue;
      }
      if (connections_.load() >= options_.max_connections) {
        spdlog::warn("connection limit {} reached; refusing a connection", options_.max_connections);
        socket.close(error);
        continue;
      }
      auto peer = capped_peer(socket);
      if (peer && !take_peer_slot(*peer)) {
        socket.close(error);
        continue;
      }
      auto executor = socket.get_executor();
      asio::co_spawn(executor, session(std::move(socket)), [this, peer](std::exception_ptr) {
        if (peer) give_back_peer_slot(*peer);
      });
    }
  }

  // The peer address a connection counts against, or nullopt when peers are not capped (or this one is exempt).
  std::optional<asio::ip::address> capped_peer(const tcp::socket& socket) const {
    if (options_.max_connections_per_address == 0) return std::nullopt;
    beast::error_code error;
    const auto endpoint = socket.remote_endpoint(error);
    if (error) return std::nullopt;
    auto address = endpoint.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    if (options_.uncapped_peer && options_.uncapped_peer(address)) return std::nullopt;
    return address;
  }

  bool take_peer_slot(const asio::ip::address& peer) {
    std::lock_guard lock(peers_mutex_);
    std::size_t& open = open_per_peer_[peer];
    if (open >= options_.max_connections_per_address) {
      if (open == options_.max_connections_per_address) {
        spdlog::warn("{} holds {} connections; refusing more from it", peer.to_string(), open);
      }
      return false;
    }
    ++open;
    return true;
  }

  void give_back_peer_slot(const asio::ip::address& peer) {
    std::lock_guard lock(peers_mutex_);
    const auto it = open_per_peer_.find(peer);
    if (it != open_per_peer_.end() && --it->second == 0) open_per_peer_.erase(it);
  }

  awaitable<Response> handle(Request request, std::chrono::steady_clock::time_point enqueued) {
    const auto now = std::chrono::steady_clock::now();
    admission_.started(now - enqueued, --queued_, now);
    http_metrics().queue_wait.observe(std::chrono::duration<double>(now - enqueued).count());
    Response response;
    try {
      const RequestScope scope(request.request_id);
      response = router_.dispatch(request);
    } catch (const std::exception& error) {
      spdlog::error("{} {}: unhandled exception: {}", request.method, request.path, error.what());
      response = error_response(ErrorCode::internal, "internal error");
    }
    co_return response;
  }

  // On the I/O thread, before the body: a malformed target, or the router's screen (rate limits), answers at once.
  std::optional<Response> answer_early(Request& request) {
    try {
      const RequestScope scope(request.request_id);
      if (auto bad = parse_target(request)) return bad;
      return router_.screen(request);
    } catch (const std::exception& error) {
      spdlog::error("{} {}: unhandled exception in the screen: {}", request.method, request.target, error.what());
      return error_response(ErrorCode::internal, "internal error");
    }
  }

  awaitable<void> write_simple(beast::tcp_stream& stream, Response response, unsigned version, bool keep_alive,
                               bool head, beast::error_code& error) {
    auto message = to_beast(response, version, keep_alive, head);
    stream.expires_after(options_.request_timeout);
    co_await bhttp::async_write(stream, message, asio::redirect_error(use_awaitable, error));
  }

  // Waits, without holding a thread, for a response another thread resolves.
  awaitable<Response> await_deferred(DeferredResponse& deferred) {
    auto executor = co_await asio::this_coro::executor;
    for (;;) {
      if (auto response = deferred.take()) {
        // A deferred response may itself be a stream; it must not defer again.
        if (response->deferred) co_return error_response(ErrorCode::internal, "a deferred response deferred again");
        co_return std::move(*response);
      }
      auto wake = std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
      deferred.on_ready([wake, executor] { asio::post(executor, [wake] { wake->cancel(); }); });
      beast::error_code ignored;
      co_await wake->async_wait(asio::redirect_error(use_awaitable, ignored));
    }
  }

  // Streams Server-Sent Events until the producer closes the stream or the client goes away.
  awaitable<void> write_events(beast::tcp_stream& stream, Response response, unsigned version,
                               beast::error_code& error) {
    auto events = response.events;
    bhttp::response<bhttp::empty_body> header{static_cast<bhttp::status>(response.status), version};
    header.set(bhttp::field::server, "Parley");
    header.set(bhttp::field::content_type, "text/event-stream");
    header.set(bhttp::field::cache_control, "no-cache");
    header.set("X-Content-Type-Options", "nosniff");
    header.set("X-Accel-Buffering", "no");  // proxies must not buffer the stream
    for (auto& [name, value] : response.headers) header.set(name, value);
    header.chunked(true);
    header.keep_alive(true);
    bhttp::response_serializer<bhttp::empty_body> serializer(header);
    stream.expires_after(options_.request_timeout);
    co_await bhttp::async_write_header(stream, serializer, asio::redirect_error(use_awaitable, error));
    auto executor = co_await asio::this_coro::executor;
    while (!error) {
      // Write everything queued, in one chunk.
      std::string batch;
      while (auto event = events->pop()) batch += format_event(*event);
      if (!batch.empty()) {
        stream.expires_after(options_.request_timeout);
        co_await asio::async_write(stream, bhttp::make_chunk(asio::buffer(batch)), asio::redirect_error(use_awaitable, error));
        continue;
      }
      if (events->closed()) break;
      auto wake = std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
      events->on_ready([wake, executor] { asio::post(executor, [wake] { wake->cancel(); }); });
      beast::error_code ignored;
      co_await wake->async_wait(asio::redirect_error(use_awaitable, ignored));
    }
    if (error) {
      events->cancel();
      co_return;
    }
    stream.expires_after(options_.request_timeout);
    co_await asio::async_write(stream, bhttp::make_chunk_last(), asio::redirect_error(use_awaitable, error));
  }

  awaitable<void> session(tcp::socket socket) {
    ++connections_;
    HttpMetrics& metrics = http_metrics();
    metrics.connections.add(1);
    beast::tcp_stream stream(std::move(socket));
    std::string remote;
    {
      beast::error_code ignored;
      const auto endpoint = stream.socket().remote_endpoint(ignored);
      if (!ignored) remote = endpoint.address().to_string();
    }
    beast::flat_buffer buffer;
    bool first = true;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options_.header_limit));
      // The route's own limit is applied once the header names the route.
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());
      beast::error_code error;
      stream.expires_after(first ? options_.request_timeout : options_.idle_timeout);
      first = false;
      co_await bhttp::async_read_header(stream, buffer, parser, asio::redirect_error(use_awaitable, error));
      const auto started = std::chrono::steady_clock::now();
      if (error == bhttp::error::header_limit) {
        metrics.record(kUnmatchedRoute, 400, started);
        co_await write_simple(stream, error_response(ErrorCode::invalid_request, "request headers are too large"), 11,
                              false, false, error);
        break;
      }
      if (error) {
        if (error != bhttp::error::end_of_stream && error != beast::error::timeout &&
            error != asio::error::connection_reset && error != asio::error::operation_aborted && buffer.size() > 0) {
          metrics.record(kUnmatchedRoute, 400, started);
          co_await write_simple(stream, error_response(ErrorCode::invalid_request, "malformed HTTP request"), 11, false,
                                false, error);
        }
        break;
      }
      const auto& head = parser.get();
      if (auto refused = framing_error(head)) {
        // The body's length is unknown, so nothing after this header can be read as the next request.
        co_await write_simple(stream, std::move(*refused), head.version(), false, false, error);
        break;
      }
      Request request = request_head(head, remote);
      const std::string_view client_id(head["X-Request-Id"].data(), head["X-Request-Id"].size());
      request.request_id = acceptable_request_id(client_id) ? std::string(client_id) : new_request_id();
      const std::string request_id = request.request_id;
      std::optional<Response> early = answer_early(request);
      const auto route = request.path.empty() ? Router::RouteInfo{kDefaultBodyLimit, kUnmatchedRoute, true}
                                              : router_.route_info(request.method, request.path);
      if (!early && route.sheddable && admission_.should_shed(queued_.load(), started)) {
        early = shed_response();
        metrics.shed.labels({route.label}).add();
      }
      if (early) {
        // Refused before the body was read and without a worker: a small body (already buffered, as a flood's
        // usually is) is read past so that the connection stays usable; a larger one is not worth reading.
        bool keep_alive = head.keep_alive() && !stopped_.load();
        if (keep_alive && !parser.chunked() && parser.content_length().value_or(0) <= kDiscardableBody) {
          stream.expires_after(options_.request_timeout);
          co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, error));
          keep_alive = !error;
        } else {
          keep_alive = false;
        }
        const int status = early->status;
        early->headers["X-Request-Id"] = request_id;
        co_await write_simple(stream, std::move(*early), head.version(), keep_alive, head.method() == bhttp::verb::head,
                              error);
        metrics.record(route.label, status, started);
        if (error || !keep_alive) break;
        continue;
      }
      request.screened = true;
      const std::size_t limit = route.body_limit;
      parser.body_limit(limit);
      // Beast checks a declared Content-Length against the limit only while parsing the header, which used the
      // default limit; the route's own limit is checked here (chunked bodies are checked as they arrive).
      const bool declared_too_large = parser.content_length() && *parser.content_length() > limit;
      if (!declared_too_large) {
        stream.expires_after(options_.request_timeout);
        co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, error));
      }
      if (declared_too_large || error == bhttp::error::body_limit) {
        metrics.record(route.label, 413, started);
        co_await write_simple(stream, error_response(ErrorCode::payload_too_large,
                                                     "the request body is larger than " + std::to_string(limit) + " bytes"),
                              head.version(), false, false, error);
        break;
      }
      if (error) {
        if (error != beast::error::timeout && error != bhttp::error::end_of_stream) {
          metrics.record(route.label, 400, started);
          co_await write_simple(stream, error_response(ErrorCode::invalid_request, "malformed HTTP request"), 11, false,
                                false, error);
        }
        break;
      }
      auto message = parser.release();
      const bool keep_alive = message.keep_alive() && !stopped_.load();
      const bool is_head = message.method() == bhttp::verb::head;
      ++in_flight_;
      metrics.in_flight.add(1);
      request.body = std::move(message.body());
      ++queued_;
      Response response =
          co_await asio::co_spawn(workers_, handle(std::move(request), std::chrono::steady_clock::now()), use_awaitable);
      if (response.deferred) {
        // Headers the wrappers set on the deferring response (CORS, security) apply to the final one.
        auto outer_headers = std::move(response.headers);
        response = co_await await_deferred(*response.deferred);
        for (auto& [name, value] : outer_headers) response.headers.emplace(name, std::move(value));
      }
      response.headers["X-Request-Id"] = request_id;
      const int status = response.status;
      const bool streamed = response.events != nullptr;
      if (streamed) {
        co_await write_events(stream, std::move(response), message.version(), error);
      } else {
        if (status >= 500) {
          const RequestScope scope(request_id);
          spdlog::warn("{} {} -> {}", std::string(message.method_string()), std::string(message.target()), status);
        }
        co_await write_simple(stream, std::move(response), message.version(), keep_alive, is_head, error);
      }
      metrics.record(route.label, status, started);
      --in_flight_;
      metrics.in_flight.add(-1);
      if (error || (!streamed && !keep_alive)) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    --connections_;
    metrics.connections.add(-1);
  }

  ServerOptions options_;
  const Router& router_;
  asio::io_context io_;
  asio::thread_pool workers_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopped_{false};
  std::atomic<std::size_t> connections_{0};
  std::mutex peers_mutex_;
  std::map<asio::ip::address, std::size_t> open_per_peer_;
  std::atomic<int> in_flight_{0};
  std::atomic<int> queued_{0};  // requests handed to the workers that none has started yet
  AdmissionControl admission_;
};

Server::Server(ServerOptions options, const Router& router) : impl_(std::make_unique<Impl>(std::move(options), router)) {}
Server::~Server() { impl_->stop(); }
Status Server::listen() { return impl_->listen(); }
unsigned short Server::port() const { return impl_->port(); }
void Server::start() { impl_->start(); }
void Server::stop() { impl_->stop(); }
void Server::run_until_signal(const std::function<void()>& on_reload) { impl_->run_until_signal(on_reload); }

}  // namespace parley::http
