// Driving a real `parley serve` from tests: a free port for it, starting it, and chat clients that keep it busy with
// their answered turns acknowledged (message ids), to check later that every acknowledged write survived.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "support/http_client.h"
#include "support/process.h"

namespace parley::testing {

// A loopback port nobody listens on now (another engineer's server may hold 8080), for parley.toml's [server] port.
inline unsigned short free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

// `parley --data DATA [extra...] serve --port 0`; returns the port it listens on (0 when it did not start in 60 s).
inline unsigned short serve_parley(std::unique_ptr<BackgroundProcess>& server, const std::string& binary,
                                   const std::string& data, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {binary, "--data", data};
  args.insert(args.end(), extra.begin(), extra.end());
  args.insert(args.end(), {"serve", "--port", "0"});
  server = std::make_unique<BackgroundProcess>(args);
  const std::string banner = server->wait_for_output("/metrics", std::chrono::seconds(60));
  std::smatch match;
  if (!std::regex_search(banner, match, std::regex("127\\.0\\.0\\.1:(\\d+)"))) return 0;
  return static_cast<unsigned short>(std::stoi(match[1]));
}

// Clients asking a bot the same question on keep-alive connections until finish(); every answered turn's message
// id is acknowledged, every other status counted as refused.
class ChatLoad {
 public:
  ChatLoad() = default;
  ChatLoad(const ChatLoad&) = delete;
  ChatLoad& operator=(const ChatLoad&) = delete;
  ~ChatLoad() { finish(); }

  void start(unsigned short port, const std::string& bot, int clients, const std::string& body) {
    for (int c = 0; c < clients; ++c) {
      threads_.emplace_back([this, port, bot, body] {
        while (!stop_) {
          try {
            HttpClient client(port);
            while (!stop_) {
              const auto reply = client.request("POST", "/api/v1/bots/" + bot + "/chat", body,
                                                {{"Content-Type", "application/json"}});
              if (reply.status != 200) {
                ++refused_;
                continue;
              }
              std::lock_guard lock(mutex_);
              acknowledged_.push_back(reply.json()["message_id"].get<std::int64_t>());
            }
          } catch (const std::exception&) {
            // A connection closed by a draining or stopped server: try a new one until told to stop.
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
          }
        }
      });
    }
  }
  // Stops the clients; the message ids of every answered turn.
  std::vector<std::int64_t> finish() {
    stop_ = true;
    for (auto& thread : threads_) thread.join();
    threads_.clear();
    std::lock_guard lock(mutex_);
    return acknowledged_;
  }
  // The message ids acknowledged so far.
  std::vector<std::int64_t> acknowledged() {
    std::lock_guard lock(mutex_);
    return acknowledged_;
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return acknowledged_.size();
  }
  int refused() const { return refused_; }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::int64_t> acknowledged_;
  std::atomic<int> refused_{0};
  std::vector<std::thread> threads_;
};

}  // namespace parley::testing
