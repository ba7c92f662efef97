// A website on loopback for crawler tests, served by Parley's own HTTP server: pages can be added, changed and
// removed between syncs; pages can redirect, answer conditional requests (ETag / Last-Modified), hang, or stream
// without end. Requests are counted per path.
#pragma once

#include <atomic>
#include <chrono>
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

struct TestPage {
  int status = 200;
  std::string body;
  std::string content_type = "text/html; charset=utf-8";
  std::map<std::string, std::string> headers;  // extra headers (Location, Last-Modified, ...)
  bool etag = true;          // send an ETag and answer a matching If-None-Match with 304
  bool hang = false;         // send the headers and a little HTML, then nothing until the site stops
  bool endless = false;      // stream the body in 256 KiB chunks until the client gives up (or 64 MiB)
  std::chrono::milliseconds delay{0};  // before answering
};

inline TestPage html_page(const std::string& title, const std::string& body_html, const std::string& head = "") {
  TestPage page;
  page.body = "<!doctype html><html lang=\"en\"><head><title>" + title + "</title>" + head + "</head><body><main><h1>" +
              title + "</h1>" + body_html + "</main></body></html>";
  return page;
}

inline TestPage redirect_to(const std::string& location, int status = 301) {
  TestPage page;
  page.status = status;
  page.headers["Location"] = location;
  page.etag = false;
  return page;
}

class TestSite {
 public:
  TestSite() {
    // Catch-all routes, one per path depth: the page table decides.
    std::string pattern;
    router_.add("GET", "/", [this](http::Request& request) { return serve(request); });
    for (int depth = 1; depth <= 10; ++depth) {
      pattern += "/{s" + std::to_string(depth) + "}";
      router_.add("GET", pattern, [this](http::Request& request) { return serve(request); });
    }
    http::ServerOptions options;
    options.port = 0;
    options.worker_threads = 8;
    options.drain_timeout = std::chrono::seconds(1);
    server_ = std::make_unique<http::Server>(options, router_);
    if (server_->listen().ok()) server_->start();
  }
  ~TestSite() { stop(); }
  TestSite(const TestSite&) = delete;
  TestSite& operator=(const TestSite&) = delete;

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      for (auto& stream : open_streams_) stream->close();
    }
    for (auto& thread : producers_) thread.join();
    producers_.clear();
    if (server_) server_->stop();
  }

  unsigned short port() const { return server_->port(); }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port()); }
  std::string url(const std::string& path_and_query) const { return origin() + path_and_query; }

  void set(const std::string& path_and_query, TestPage page) {
    std::lock_guard lock(mutex_);
    pages_[path_and_query] = std::move(page);
  }
  void remove(const std::string& path_and_query) {
    std::lock_guard lock(mutex_);
    pages_.erase(path_and_query);
  }
  int hits(const std::string& path_and_query) const {
    std::lock_guard lock(mutex_);
    const auto it = hits_.find(path_and_query);
    return it == hits_.end() ? 0 : it->second;
  }
  int not_modified_answers() const { return not_modified_.load(); }
  int total_hits() const {
    std::lock_guard lock(mutex_);
    int total = 0;
    for (const auto& [path, count] : hits_) total += count;
    return total;
  }

 private:
  http::Response serve(const http::Request& request) {
    TestPage page;
    {
      std::lock_guard lock(mutex_);
      ++hits_[request.target];
      const auto it = pages_.find(request.target);
      if (it == pages_.end()) return http::text_response(404, "<html><body>Not found</body></html>", "text/html");
      page = it->second;
    }
    if (page.delay.count() > 0) std::this_thread::sleep_for(page.delay);
    if (page.hang || page.endless) return stream(page);
    http::Response response;
    response.status = page.status;
    for (const auto& [name, value] : page.headers) response.headers[name] = value;
    if (page.status == 200) {
      const std::string etag = "\"" + std::to_string(std::hash<std::string>()(page.body)) + "\"";
      if (page.etag) {
        response.headers["ETag"] = etag;
        if (request.header("If-None-Match") == etag) {
          ++not_modified_;
          response.status = 304;
          return response;
        }
      }
      response.headers["Content-Type"] = page.content_type;
      response.body = page.body;
    }
    return response;
  }

  // A response whose body keeps coming (or never comes): Parley's server writes an event stream chunked, with
  // the Content-Type the page says.
  http::Response stream(const TestPage& page) {
    auto events = std::make_shared<http::EventStream>();
    http::Response response;
    response.headers["Content-Type"] = page.content_type;
    response.events = events;
    std::lock_guard lock(mutex_);
    if (stopping_) {
      events->close();
      return response;
    }
    open_streams_.push_back(events);
    if (page.hang) {
      events->push({"start", "<html><body><p>Loading"});
    } else {
      producers_.emplace_back([this, events] {
        const std::string chunk(256 * 1024, 'x');
        for (int sent = 0; sent < 256 && !events->cancelled(); ++sent) {
          {
            std::lock_guard stop_lock(mutex_);
            if (stopping_) break;
          }
          events->push({"data", chunk});
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        events->close();
      });
    }
    return response;
  }

  http::Router router_;
  std::unique_ptr<http::Server> server_;
  mutable std::mutex mutex_;
  std::map<std::string, TestPage> pages_;
  std::map<std::string, int> hits_;
  std::atomic<int> not_modified_{0};
  std::vector<std::shared_ptr<http::EventStream>> open_streams_;
  std::vector<std::thread> producers_;
  bool stopping_ = false;
};

}  // namespace parley::testing
