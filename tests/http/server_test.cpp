// The server on a real socket: limits, malformed requests, keep-alive, SSE, and slow handlers not blocking others.
#include "http/server.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace parley::http
