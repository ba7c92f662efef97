// A loopback stand-in for remote model APIs (OpenAI Chat Completions, Anthropic Messages) that replays their
// real streaming wire formats — and their faults — so provider code is tested over real HTTP.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/server.h"

namespace parley::testing {

enum class ProviderBehaviour {
  answer,             // streams the reply in pieces, then the end marker and usage
  http_500,           // 500 with a JSON error body
  rate_limited,       // 429 with Retry-After: 2
  wrong_content_type, // 200 text/html
  malformed_event,    // an event whose data is not JSON
  stops_mid_answer,   // some text, then the stream ends without its end marker
  hangs,              // never sends anything
  slow_first_token,   // waits `delay` before the first piece
  echo_system,        // streams back the request's system prompt (a model leaking its instructions)
};

struct RecordedRequest {
  std::string path;
  std::string authorization;
  std::string api_key;
  std::string anthropic_version;
  nlohmann::json body;
  std::string request_id = {};  // the X-Request-Id Parley sent
};

class FakeProvider {
 public:
  FakeProvider() {
    const auto handler = [this](http::Request& request) { return respond(request); };
    router_.add("POST", "/v1/chat/completions", handler);
    router_.add("POST", "/v1/messages", handler);
    http::ServerOptions options;
    options.port = 0;
    options.worker_threads = 8;
    server_ = std::make_unique<http::Server>(options, router_);
    (void)server_->listen();
    server_->start();
  }
  ~FakeProvider() {
    stopping_ = true;
    server_->stop();
    for (auto& thread : producers_) thread.join();
  }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/v1"; }
  void set(ProviderBehaviour behaviour, std::string reply = "Hello there, visitor.",
           std::chrono::milliseconds delay = std::chrono::milliseconds(0)) {
    std::lock_guard lock(mutex_);
    behaviour_ = behaviour;
    reply_ = std::move(reply);
    delay_ = delay;
  }
  // Paces the pieces of a streamed reply like a model generating tokens (default: all at once).
  void set_piece_interval(std::chrono::milliseconds interval) {
    std::lock_guard lock(mutex_);
    piece_interval_ = interval;
  }
  std::vector<RecordedRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  http::Response respond(http::Request& request) {
    ProviderBehaviour behaviour;
    std::string reply;
    std::chrono::milliseconds delay;
    std::chrono::milliseconds interval;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back({request.path, std::string(request.header("Authorization")), std::string(request.header("x-api-key")),
                           std::string(request.header("anthropic-version")), nlohmann::json::parse(request.body, nullptr, false),
                           std::string(request.header("X-Request-Id"))});
      behaviour = behaviour_;
      reply = reply_;
      delay = delay_;
      interval = piece_interval_;
    }
    const bool anthropic = request.path.ends_with("/messages");
    if (behaviour == ProviderBehaviour::echo_system) {
      const auto body = nlohmann::json::parse(request.body, nullptr, false);
      if (anthropic) {
        reply = body.value("system", "");
      } else if (body.contains("messages") && !body["messages"].empty()) {
        reply = body["messages"][0].value("content", "");
      }
    }
    switch (behaviour) {
      case ProviderBehaviour::http_500:
        return http::json_response(500, {{"error", {{"message", "upstream exploded"}, {"type", "server_error"}}}});
      case ProviderBehaviour::rate_limited: {
        auto response = http::json_response(429, {{"error", {{"message", "Rate limit reached"}, {"type", "rate_limit_error"}}}});
        response.headers["Retry-After"] = "2";
        return response;
      }
      case ProviderBehaviour::wrong_content_type:
        return http::text_response(200, "<html>maintenance</html>", "text/html");
      default:
        break;
    }
    http::Response response;
    response.events = std::make_shared<http::EventStream>();
    auto events = response.events;
    std::lock_guard lock(mutex_);
    producers_.emplace_back([this, events, behaviour, reply, delay, interval, anthropic] {
      if (behaviour == ProviderBehaviour::hangs) {
        while (!stopping_ && !events->cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        events->close();
        return;
      }
      if (behaviour == ProviderBehaviour::slow_first_token) std::this_thread::sleep_for(delay);
      if (behaviour == ProviderBehaviour::malformed_event) {
        events->push({"message", "{not json"});
        events->close();
        return;
      }
      std::vector<std::string> pieces;
      for (std::size_t i = 0; i < reply.size(); i += 5) pieces.push_back(reply.substr(i, 5));
      const std::size_t sent = behaviour == ProviderBehaviour::stops_mid_answer ? pieces.size() / 2 : pieces.size();
      if (anthropic) {
        events->push({"message_start", R"({"type":"message_start","message":{"usage":{"input_tokens":42,"output_tokens":1}}})"});
        events->push({"ping", R"({"type":"ping"})"});
        for (std::size_t i = 0; i < sent; ++i) {
          events->push({"content_block_delta", nlohmann::json{{"type", "content_block_delta"}, {"index", 0},
                                                              {"delta", {{"type", "text_delta"}, {"text", pieces[i]}}}}.dump()});
        }
        if (sent == pieces.size()) {
          events->push({"message_delta", R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}})"});
          events->push({"message_stop", R"({"type":"message_stop"})"});
        }
      } else {
        events->push({"message", R"({"choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]})"});
        for (std::size_t i = 0; i < sent; ++i) {
          if (i > 0 && interval.count() > 0) std::this_thread::sleep_for(interval);
          events->push({"message", nlohmann::json{{"choices", {{{"index", 0}, {"delta", {{"content", pieces[i]}}}, {"finish_reason", nullptr}}}}}.dump()});
        }
        if (sent == pieces.size()) {
          events->push({"message", R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})"});
          events->push({"message", R"({"choices":[],"usage":{"prompt_tokens":42,"completion_tokens":9}})"});
          events->push({"message", "[DONE]"});
        }
      }
      events->close();
    });
    return response;
  }

  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::mutex mutex_;
  ProviderBehaviour behaviour_ = ProviderBehaviour::answer;
  std::string reply_ = "Hello there, visitor.";
  std::chrono::milliseconds delay_{0};
  std::chrono::milliseconds piece_interval_{0};
  std::vector<RecordedRequest> requests_;
  std::vector<std::thread> producers_;
  std::atomic<bool> stopping_{false};
};

}  // namespace parley::testing
