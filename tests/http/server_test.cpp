// The server on a real socket: limits, malformed requests, keep-alive, SSE, and slow handlers not blocking others.
#include "http/server.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "support/http_client.h"

namespace parley::http {
namespace {

using parley::testing::HttpClient;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/hello", [](Request& request) {
      return json_response(200, {{"hello", "world"}, {"query", request.query}});
    });
    router_.add("POST", "/echo", [](Request& request) { return text_response(200, request.body, "text/plain"); });
    router_.add("GET", "/slow", [](Request&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      return json_response(200, {{"slow", true}});
    });
    router_.add("GET", "/throw", [](Request&) -> Response { throw std::runtime_error("handler bug"); });
    router_.add("GET", "/events", [](Request&) {
      Response response;
      response.events = std::make_shared<EventStream>();
      auto events = response.events;
      // Produced from another thread after the response has started, as a generator would.
      std::thread([events] {
        for (int i = 0; i < 3; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          events->push({"delta", "{\"i\":" + std::to_string(i) + "}"});
        }
        events->close();
      }).detach();
      return response;
    });
    router_.set_body_limit("POST", "/echo", 1000);
    ServerOptions options;
    options.port = 0;
    options.request_timeout = std::chrono::seconds(2);
    server_ = std::make_unique<Server>(options, router_);
    ASSERT_TRUE(server_->listen().ok());
    server_->start();
  }
  void TearDown() override { server_->stop(); }

  Router router_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, ServesJsonOverKeepAlive) {
  HttpClient client(server_->port());
  for (int i = 0; i < 3; ++i) {
    const auto result = client.request("GET", "/hello?x=%C3%A9");
    EXPECT_EQ(result.status, 200);
    EXPECT_EQ(result.json()["query"]["x"], "\xC3\xA9");
    EXPECT_EQ(result.headers.at("X-Content-Type-Options"), "nosniff");
  }
}

TEST_F(ServerTest, BodyOverTheRouteLimitIs413) {
  HttpClient client(server_->port());
  EXPECT_EQ(client.request("POST", "/echo", std::string(999, 'a')).status, 200);
  const auto result = HttpClient(server_->port()).request("POST", "/echo", std::string(5000, 'a'));
  EXPECT_EQ(result.status, 413);
  EXPECT_EQ(result.json()["error"]["code"], "payload_too_large");
}

TEST_F(ServerTest, MalformedRequestsGetA400AndTheServerKeepsServing) {
  HttpClient client(server_->port());
  EXPECT_NE(client.raw("THIS IS NOT HTTP\r\n\r\n").find("400"), std::string::npos);
  EXPECT_NE(client.raw("GET /hello HTTP/1.1\r\nHost: x\r\n" + std::string(20000, 'h') + ": y\r\n\r\n").find("400"),
            std::string::npos);
  EXPECT_NE(client.raw("GET /%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").find("400"), std::string::npos);
  EXPECT_EQ(HttpClient(server_->port()).request("GET", "/hello").status, 200);
}

// RFC 9112 section 6: an unknown transfer coding is 501, chunked anywhere but last is 400, Transfer-Encoding with
// Content-Length is 400; each closes the connection, and nothing reaches the handler (/echo would answer 200).
TEST_F(ServerTest, TransferEncodingFollowsRfc9112) {
  const auto status_line = [&](const std::string& framing, const std::string& body) {
    const std::string answer = HttpClient(server_->port()).raw("POST /echo HTTP/1.1\r\nHost: x\r\n" + framing + "\r\n" + body,
                                                               std::chrono::milliseconds(2000));
    return answer.substr(0, answer.find("\r\n"));
  };
  EXPECT_EQ(status_line("Transfer-Encoding: xchunked\r\nContent-Length: 0\r\n", ""), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status_line("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "5\r\nhello\r\n0\r\n\r\n"),
            "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status_line("Transfer-Encoding: chunked, identity\r\n", "5\r\nhello\r\n0\r\n\r\n"), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status_line("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"),
            "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status_line("Transfer-Encoding: xchunked\r\n", "hello"), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status_line("Transfer-Encoding: gzip, chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), "HTTP/1.1 501 Not Implemented");
  EXPECT_EQ(status_line("Transfer-Encoding: x-custom\r\nTransfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"),
            "HTTP/1.1 501 Not Implemented");
  // Plain chunked (any case) and plain Content-Length still work.
  EXPECT_EQ(status_line("Transfer-Encoding: Chunked\r\nConnection: close\r\n", "5\r\nhello\r\n0\r\n\r\n"), "HTTP/1.1 200 OK");
  EXPECT_EQ(status_line("Content-Length: 5\r\nConnection: close\r\n", "hello"), "HTTP/1.1 200 OK");
}

TEST_F(ServerTest, HandlerExceptionsBecome500) {
  const auto result = HttpClient(server_->port()).request("GET", "/throw");
  EXPECT_EQ(result.status, 500);
  EXPECT_EQ(result.json()["error"]["code"], "internal");
  EXPECT_EQ(result.body.find("handler bug"), std::string::npos);  // no internals leak
}

TEST_F(ServerTest, StreamsEventsProducedLater) {
  HttpClient client(server_->port());
  const auto result = client.request("GET", "/events");
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.headers.at("Content-Type"), "text/event-stream");
  const auto events = parley::testing::parse_sse(result.body);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].data["i"], 2);
  // The connection stays usable after the stream.
  EXPECT_EQ(client.request("GET", "/hello").status, 200);
}

TEST_F(ServerTest, ASlowHandlerDoesNotBlockOtherRequests) {
  auto slow = std::async(std::launch::async, [&] { return HttpClient(server_->port()).request("GET", "/slow").status; });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(HttpClient(server_->port()).request("GET", "/hello").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(400));
  EXPECT_EQ(slow.get(), 200);
}

TEST_F(ServerTest, SlowClientsAreCutOffByTheRequestTimeout) {
  HttpClient client(server_->port());
  const auto started = std::chrono::steady_clock::now();
  // Headers that never finish: the server must give up after request_timeout (2 s here).
  client.raw("GET /hello HTTP/1.1\r\nHost: x\r\n");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

// A server of its own for tests that need other options or a screen.
struct ScreenedServer {
  explicit ScreenedServer(ServerOptions options) {
    router.add("POST", "/echo", [this](Request& request) {
      ++handled;
      return text_response(200, request.body, "text/plain");
    });
    router.add("GET", "/slow", [](Request&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      return json_response(200, {{"slow", true}});
    });
    router.set_screen([this](Request& request) -> std::optional<Response> {
      screened_body_was_empty = request.body.empty();
      if (request.header("X-Refuse").empty()) return std::nullopt;
      Response refusal = error_response(ErrorCode::rate_limited, "refused early");
      refusal.headers["Retry-After"] = "7";
      return refusal;
    });
    options.port = 0;
    server = std::make_unique<Server>(options, router);
    EXPECT_TRUE(server->listen().ok());
    server->start();
  }
  ~ScreenedServer() { server->stop(); }
  Router router;
  std::atomic<int> handled{0};
  std::atomic<bool> screened_body_was_empty{false};
  std::unique_ptr<Server> server;
};

TEST(ServerScreen, RefusesBeforeTheBodyWithoutAWorkerAndKeepsTheConnection) {
  ServerOptions options;
  options.worker_threads = 1;
  ScreenedServer served(options);
  const unsigned short port = served.server->port();
  // The only worker is busy for 1.5 s: a refusal does not wait for it.
  auto slow = std::async(std::launch::async, [&] { return HttpClient(port).request("GET", "/slow").status; });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  HttpClient client(port);
  const auto started = std::chrono::steady_clock::now();
  const auto refused = client.request("POST", "/echo", std::string(2000, 'a'), {{"X-Refuse", "1"}});
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(700));
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.headers.at("Retry-After"), "7");
  EXPECT_FALSE(refused.headers.contains("Connection"));  // HTTP/1.1: kept alive unless it says close
  EXPECT_TRUE(served.screened_body_was_empty.load());
  EXPECT_EQ(served.handled.load(), 0);
  // The small body was read past: the next request on the same connection is parsed from its own first byte.
  const auto echoed = client.request("POST", "/echo", "second");
  EXPECT_EQ(echoed.status, 200);
  EXPECT_EQ(echoed.body, "second");
  EXPECT_EQ(served.handled.load(), 1);
  // A large refused body is not read: the refusal closes the connection.
  const auto large = HttpClient(port).request("POST", "/echo", std::string(200 * 1024, 'b'), {{"X-Refuse", "1"}});
  EXPECT_EQ(large.status, 429);
  EXPECT_EQ(large.headers.at("Connection"), "close");
  EXPECT_EQ(slow.get(), 200);
}

TEST(ServerLimits, ConnectionsPerAddressAreCappedUnlessThePeerIsExempt) {
  namespace asio = boost::asio;
  using tcp = asio::ip::tcp;
  asio::io_context io;
  const auto open_connection = [&](unsigned short port) {
    auto socket = std::make_unique<tcp::socket>(io);
    socket->connect({asio::ip::make_address("127.0.0.1"), port});
    return socket;
  };
  // Whether the server still answers on `socket` (a refused connection is closed at once).
  const auto answers = [](tcp::socket& socket) {
    const std::string request = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok";
    boost::system::error_code error;
    asio::write(socket, asio::buffer(request), error);
    if (error) return false;
    std::array<char, 512> reply{};
    const std::size_t n = socket.read_some(asio::buffer(reply), error);
    return !error && std::string_view(reply.data(), n).starts_with("HTTP/1.1 200");
  };
  ServerOptions options;
  options.max_connections_per_address = 2;
  {
    ScreenedServer served(options);
    auto first = open_connection(served.server->port());
    auto second = open_connection(served.server->port());
    EXPECT_TRUE(answers(*first));
    EXPECT_TRUE(answers(*second));
    auto third = open_connection(served.server->port());
    EXPECT_FALSE(answers(*third));
    // A closed connection gives its place back.
    first.reset();
    bool answered = false;
    for (int attempt = 0; attempt < 50 && !answered; ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      auto again = open_connection(served.server->port());
      answered = answers(*again);
    }
    EXPECT_TRUE(answered);
  }
  options.uncapped_peer = [](const asio::ip::address& peer) { return peer.is_loopback(); };
  ScreenedServer exempt(options);
  std::vector<std::unique_ptr<tcp::socket>> many;
  for (int i = 0; i < 5; ++i) many.push_back(open_connection(exempt.server->port()));
  for (auto& socket : many) EXPECT_TRUE(answers(*socket));
}

}  // namespace
}  // namespace parley::http
