// A blocking HTTP/1.1 client for tests: real sockets against the real server, keep-alive by default.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace parley::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

struct SseEvent {
  std::string name;
  nlohmann::json data;
};

// Parses "event: x\ndata: {...}\n\n" blocks (a block without an event line is a "message").
inline std::vector<SseEvent> parse_sse(const std::string& body) {
  std::vector<SseEvent> events;
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find("\n\n", start);
    if (end == std::string::npos) end = body.size();
    const std::string block = body.substr(start, end - start);
    SseEvent event;
    std::string data;
    std::size_t line_start = 0;
    while (line_start < block.size()) {
      std::size_t line_end = block.find('\n', line_start);
      if (line_end == std::string::npos) line_end = block.size();
      const std::string line = block.substr(line_start, line_end - line_start);
      if (line.rfind("event: ", 0) == 0) event.name = line.substr(7);
      if (line.rfind("data: ", 0) == 0) data += line.substr(6);
      line_start = line_end + 1;
    }
    if (event.name.empty() && !data.empty()) event.name = "message";  // the SSE default type
    if (!event.name.empty()) {
      event.data = nlohmann::json::parse(data, nullptr, false);
      events.push_back(std::move(event));
    }
    start = end + 2;
  }
  return events;
}

class HttpClient {
 public:
  explicit HttpClient(unsigned short port, std::string host = "127.0.0.1") : host_(std::move(host)), port_(port) {}
  unsigned short port() const { return port_; }

  HttpResult request(const std::string& method, const std::string& target, const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {}) {
    namespace http = boost::beast::http;
    ensure_connected();
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, host_);
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    http::write(*stream_, req);
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1u << 30);
    http::read(*stream_, buffer, parser);
    auto res = parser.release();
    HttpResult result;
    result.status = static_cast<int>(res.result_int());
    for (const auto& field : res) result.headers[std::string(field.name_string())] = std::string(field.value());
    result.body = std::move(res.body());
    if (!res.keep_alive()) stream_.reset();
    return result;
  }

  // Sends raw bytes and returns whatever the server answers before closing or before `wait` passes without a
  // byte (for malformed-request tests; a server that waits for more input is not an error here).
  std::string raw(const std::string& bytes, std::chrono::milliseconds wait = std::chrono::seconds(5)) {
    boost::asio::ip::tcp::socket socket(io_);
    socket.connect({boost::asio::ip::make_address(host_), port_});
    const timeval timeout{static_cast<time_t>(wait.count() / 1000), static_cast<suseconds_t>(wait.count() % 1000 * 1000)};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    boost::beast::error_code error;
    boost::asio::write(socket, boost::asio::buffer(bytes), error);  // the server may close before reading it all
    std::string out;
    char chunk[4096];
    // Plain recv: Asio's blocking read would poll past SO_RCVTIMEO.
    for (ssize_t n; (n = ::recv(socket.native_handle(), chunk, sizeof chunk, 0)) > 0;) {
      out.append(chunk, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  void ensure_connected() {
    if (stream_) return;
    stream_ = std::make_unique<boost::beast::tcp_stream>(io_);
    stream_->connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(host_), port_));
  }

  std::string host_;
  unsigned short port_;
  boost::asio::io_context io_;
  std::unique_ptr<boost::beast::tcp_stream> stream_;
};

// A Server-Sent Events stream (GET with Accept: text/event-stream) on a connection of its own, read as it arrives:
// for waiting on one event among others (pings, other conversations) without waiting for the stream to go quiet.
class EventStreamReader {
 public:
  EventStreamReader(unsigned short port, const std::string& target, const std::map<std::string, std::string>& headers = {},
                    const std::string& host = "127.0.0.1")
      : socket_(io_) {
    socket_.connect({boost::asio::ip::make_address(host), port});
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nAccept: text/event-stream\r\n";
    for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
    boost::asio::write(socket_, boost::asio::buffer(request + "\r\n"));
  }

  // Waits up to `timeout` for `text` to arrive after the end of the last text found; whether it did. Matches the
  // bytes as sent: the server writes each event as one chunk, so a chunk header never splits an event's text.
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (const auto at = received_.find(text, found_end_); at != std::string::npos) {
        found_end_ = at + text.size();
        return true;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd readable{socket_.native_handle(), POLLIN, 0};
      if (::poll(&readable, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[16384];
      const ssize_t n = ::recv(socket_.native_handle(), chunk, sizeof chunk, 0);
      if (n <= 0) return false;  // the server closed the stream
      received_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // Everything read so far, the response's head included.
  const std::string& received() const { return received_; }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::string received_;
  std::size_t found_end_ = 0;
};

}  // namespace parley::testing
