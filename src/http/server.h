// The HTTP/1.1 server: Boost.Beast on Asio C++20 coroutines. A few I/O threads run every connection; handlers run
// on a separate worker pool so that a slow request (a large upload, a store write) never stalls other
// connections. Per-connection timeouts, header and body limits, a connection cap, and Server-Sent Events written
// chunked and flushed per event.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/ip/address.hpp>

#include "common/result.h"
#include "http/admission.h"
#include "http/router.h"

namespace parley::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;  // 0: any free port (see Server::port)
  int io_threads = 2;
  int worker_threads = 4;
  std::chrono::seconds request_timeout{30};  // to receive one request, and to write one response
  std::chrono::seconds idle_timeout{60};     // keep-alive wait for the next request
  std::size_t header_limit = 16 * 1024;
  std::size_t max_connections = 10'000;
  // Open connections per peer address, so that one address cannot take every connection (0: no cap; `parley
  // serve` sets [limits] max_connections_per_address). Peers for which `uncapped_peer` is true (trusted reverse
  // proxies, which carry many clients) are not capped.
  std::size_t max_connections_per_address = 0;
  std::function<bool(const boost::asio::ip::address&)> uncapped_peer;
  // On stop, how long in-flight requests and event streams may take to finish; those still running then are cut off.
  std::chrono::milliseconds drain_timeout{10'000};
  // Past capacity, requests to sheddable routes are refused with 503 + Retry-After (http/admission.h).
  AdmissionOptions admission;
};

class Server {
 public:
  Server(ServerOptions options, const Router& router);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; the chosen port is then port().
  Status listen();
  unsigned short port() const;
  // Starts the I/O and worker threads and returns.
  void start();
  // Stops accepting, lets in-flight requests finish (up to drain_timeout), then stops all threads.
  void stop();
  // Blocks until SIGINT/SIGTERM, then stops gracefully. SIGHUP calls `on_reload` (on the calling thread, while the
  // server goes on serving) and keeps waiting.
  void run_until_signal(const std::function<void()>& on_reload = {});

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::http
