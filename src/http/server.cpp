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

#include "common/utf8.h"

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

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, const Router& router)
      : options_(std::move(options)), router_(router), io_(options_.io_threads), workers_(options_.worker_threads),
        acceptor_(io_) {}

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
    io_.stop();
    for (auto& thread : threads_) thread.join();
    threads_.clear();
    workers_.stop();
    workers_.join();
  }

  void run_until_signal() {
    asio::io_context signals_io;
    asio::signal_set signals(signals_io, SIGINT, SIGTERM);
    signals.async_wait([](const beast::error_code&, int signal) {
      spdlog::info("received signal {}, draining in-flight requests", signal);
    });
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

  awaitable<Response> handle(Request request) {
    Response response;
    try {
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
      if (error == bhttp::error::header_limit) {
        co_await write_simple(stream, error_response(ErrorCode::invalid_request, "request headers are too large"), 11,
                              false, false, error);
        break;
      }
      if (error) {
        if (error != bhttp::error::end_of_stream && error != beast::error::timeout &&
            error != asio::error::connection_reset && error != asio::error::operation_aborted && buffer.size() > 0) {
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
      if (auto early = answer_early(request)) {
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
        co_await write_simple(stream, std::move(*early), head.version(), keep_alive, head.method() == bhttp::verb::head,
                              error);
        if (error || !keep_alive) break;
        continue;
      }
      request.screened = true;
      const std::size_t limit = router_.body_limit(request.method, request.path);
      parser.body_limit(limit);
      // Beast checks a declared Content-Length against the limit only while parsing the header, which used the
      // default limit; the route's own limit is checked here (chunked bodies are checked as they arrive).
      const bool declared_too_large = parser.content_length() && *parser.content_length() > limit;
      if (!declared_too_large) {
        stream.expires_after(options_.request_timeout);
        co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, error));
      }
      if (declared_too_large || error == bhttp::error::body_limit) {
        co_await write_simple(stream, error_response(ErrorCode::payload_too_large,
                                                     "the request body is larger than " + std::to_string(limit) + " bytes"),
                              head.version(), false, false, error);
        break;
      }
      if (error) {
        if (error != beast::error::timeout && error != bhttp::error::end_of_stream) {
          co_await write_simple(stream, error_response(ErrorCode::invalid_request, "malformed HTTP request"), 11, false,
                                false, error);
        }
        break;
      }
      auto message = parser.release();
      const bool keep_alive = message.keep_alive() && !stopped_.load();
      const bool is_head = message.method() == bhttp::verb::head;
      ++in_flight_;
      request.body = std::move(message.body());
      Response response = co_await asio::co_spawn(workers_, handle(std::move(request)), use_awaitable);
      if (response.deferred) {
        // Headers the wrappers set on the deferring response (CORS, security) apply to the final one.
        auto outer_headers = std::move(response.headers);
        response = co_await await_deferred(*response.deferred);
        for (auto& [name, value] : outer_headers) response.headers.emplace(name, std::move(value));
      }
      if (response.events) {
        co_await write_events(stream, std::move(response), message.version(), error);
        --in_flight_;
        if (error) break;
        continue;
      }
      if (response.status >= 500) {
        spdlog::warn("{} {} -> {}", std::string(message.method_string()), std::string(message.target()), response.status);
      }
      co_await write_simple(stream, std::move(response), message.version(), keep_alive, is_head, error);
      --in_flight_;
      if (error || !keep_alive) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    --connections_;
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
};

Server::Server(ServerOptions options, const Router& router) : impl_(std::make_unique<Impl>(std::move(options), router)) {}
Server::~Server() { impl_->stop(); }
Status Server::listen() { return impl_->listen(); }
unsigned short Server::port() const { return impl_->port(); }
void Server::start() { impl_->start(); }
void Server::stop() { impl_->stop(); }
void Server::run_until_signal() { impl_->run_until_signal(); }

}  // namespace parley::http
