// A webhook receiver on loopback for notification tests and benches, served by Parley's own HTTP server:
// POST /hook/{name} records the request (headers and exact body) and answers what `respond` decides — a status,
// after an optional delay (a "hanging" endpoint is a long delay), or a redirect.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/router.h"
#include "http/server.h"

namespace parley::testing {

struct ReceivedHook {
  std::string path;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct HookAnswer {
  int status = 200;
  std::chrono::milliseconds delay{0};
  std::string location = {};  // for 3xx
};

class WebhookReceiver {
 public:
  using Respond = std::function<HookAnswer(const ReceivedHook&, int nth)>;  // nth: 1-based count for this path

  explicit WebhookReceiver(int worker_threads = 8) {
    const auto handle = [this](http::Request& request) {
      ReceivedHook hook;
      hook.path = request.path;
      for (const auto& [name, value] : request.headers) {
        std::string lower(name);
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        hook.headers[lower] = value;
      }
      hook.body = request.body;
      HookAnswer answer;
      {
        std::lock_guard lock(mutex_);
        const int nth = ++per_path_[hook.path];
        answer = respond_ ? respond_(hook, nth) : HookAnswer{};
        if (answer.status >= 200 && answer.status < 300) received_.push_back(hook);
        else refused_.push_back(hook);
      }
      changed_.notify_all();
      if (answer.delay.count() > 0) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, answer.delay, [this] { return stopping_; });
      }
      http::Response response;
      response.status = answer.status;
      if (!answer.location.empty()) response.headers["Location"] = answer.location;
      response.body = "ok";
      return response;
    };
    router_.add("POST", "/hook/{name}", handle);
    router_.add("POST", "/hook/{name}/{more}", handle);
    http::ServerOptions options;
    options.port = 0;
    options.worker_threads = worker_threads;
    options.drain_timeout = std::chrono::seconds(1);
    server_ = std::make_unique<http::Server>(options, router_);
    if (server_->listen().ok()) server_->start();
  }
  ~WebhookReceiver() { stop(); }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    if (server_) server_->stop();
  }

  void respond(Respond respond) {
    std::lock_guard lock(mutex_);
    respond_ = std::move(respond);
  }
  std::string url(const std::string& name) const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/hook/" + name; }
  unsigned short port() const { return server_->port(); }

  std::vector<ReceivedHook> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::size_t received_count() const {
    std::lock_guard lock(mutex_);
    return received_.size();
  }
  std::size_t refused_count() const {
    std::lock_guard lock(mutex_);
    return refused_.size();
  }
  // Waits until at least `count` requests were answered 2xx, or `timeout` passes.
  bool wait_for(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return received_.size() >= count; });
  }

 private:
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  Respond respond_;
  std::map<std::string, int> per_path_;
  std::vector<ReceivedHook> received_;
  std::vector<ReceivedHook> refused_;
};

}  // namespace parley::testing
