// A real Parley API server on a loopback port, in the benchmark's own process, over a fresh SQLite file (or the
// store `store_options` name: several servers on one PostgreSQL database are replicas): one new workspace with an
// owner's API key. And clients that chat with a bot at a fixed pace, timing every answer.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "api/api.h"
#include "auth/api_keys.h"
#include "bench/support/stats.h"
#include "http/server.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

namespace parley::bench {

using Headers = std::map<std::string, std::string>;

class ChatServer {
 public:
  // Exits the benchmark with a message when the store or the socket cannot be set up.
  explicit ChatServer(api::ApiOptions options, store::StoreOptions store_options = {}) {
    if (store_options.path.empty()) store_options.path = dir_.file("parley.db");
    if (store_options.index_dir.empty()) store_options.index_dir = dir_.file("index");
    auto opened = store::open_store(store_options);
    if (!opened.ok()) fail("cannot open the store: " + opened.error().message);
    store_ = std::move(opened).value();
    const Status created = store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto workspace, tx.create_workspace("W"));
      workspace_id_ = workspace.id;
      PARLEY_ASSIGN_OR_RETURN(auto issued, auth::issue_api_key(tx, workspace.id, "bench", store::Role::owner));
      key_ = issued.key;
      return {};
    });
    if (!created.ok()) fail("cannot create the workspace: " + created.error().message);
    context_ = std::make_unique<api::ApiContext>(*store_, std::move(options));
    api::register_routes(router_, *context_);
    http::ServerOptions server_options;
    server_options.port = 0;
    server_ = std::make_unique<http::Server>(server_options, router_);
    if (!server_->listen().ok()) fail("cannot listen on a loopback port");
    server_->start();
  }
  ~ChatServer() { stop(); }
  ChatServer(const ChatServer&) = delete;
  ChatServer& operator=(const ChatServer&) = delete;

  unsigned short port() const { return server_->port(); }
  api::ApiContext& context() { return *context_; }
  store::Store& store() { return *store_; }
  const std::string& owner_key() const { return key_; }
  const std::string& workspace_id() const { return workspace_id_; }
  // The owner's Authorization header, for JSON bodies.
  Headers owner_headers() const { return {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}}; }

  // A new bot whose knowledge is one Markdown file; its id.
  std::string create_bot(const std::string& markdown) {
    testing::HttpClient admin(port());
    const auto created = admin.request("POST", "/api/v1/bots", R"({"name":"Bench"})", owner_headers());
    if (created.status != 201) fail("cannot create the bot: HTTP " + std::to_string(created.status));
    const std::string bot = created.json()["id"];
    const auto added = admin.request("POST", "/api/v1/bots/" + bot + "/sources",
                                     nlohmann::json{{"name", "help.md"}, {"content", markdown}}.dump(), owner_headers());
    if (added.status != 201) fail("cannot add the bot's knowledge: HTTP " + std::to_string(added.status));
    return bot;
  }

  void stop() {
    if (server_) server_->stop();
  }

 private:
  [[noreturn]] static void fail(const std::string& why) {
    std::fprintf(stderr, "%s\n", why.c_str());
    std::exit(1);
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::string workspace_id_;
  std::string key_;
  std::unique_ptr<api::ApiContext> context_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
};

// `clients` threads, each asking the bot `rate` public chat questions per second for `seconds` (the questions in
// turn, each client starting at its own), with the headers `headers_of(client)` gives; starts are staggered by 7 ms
// so the clients do not arrive in step. A non-200 answer counts as an error.
inline void paced_chat(unsigned short port, const std::string& bot, int clients, double rate, double seconds,
                       std::span<const char* const> questions, const std::function<Headers(int client)>& headers_of,
                       Latencies& out) {
  using Clock = std::chrono::steady_clock;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      testing::HttpClient client(port);
      Headers headers = headers_of(c);
      headers["Content-Type"] = "application/json";
      const auto start = Clock::now() + std::chrono::milliseconds(7 * c);
      const auto interval = std::chrono::duration<double>(1.0 / rate);
      for (std::size_t i = 0; std::chrono::duration<double>(Clock::now() - start).count() < seconds; ++i) {
        std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(i)));
        const auto sent = Clock::now();
        const auto result = client.request("POST", "/api/v1/bots/" + bot + "/chat",
                                           nlohmann::json{{"message", questions[(i + c) % questions.size()]}}.dump(), headers);
        if (result.status != 200) {
          out.add_error();
        } else {
          out.add(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
}

}  // namespace parley::bench
