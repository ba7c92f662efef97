// leads_bench [--events N] [--conversations N] [--replies N]
//   outbox:  N lead.created events queued at once for one webhook; the time until a loopback receiver (Parley's
//            own HTTP server, as in the tests) has answered every one 2xx: events per second, end to end (claim,
//            sign, POST, record the outcome in SQLite).
//   replies: N conversations held by an agent, each visitor with an open event stream (GET
//            /api/v1/widget/{bot}/events); replies are POSTed one after another through the real API, and the
//            time from sending the POST to the reply's bytes arriving on that visitor's socket is measured.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "api/api.h"
#include "auth/api_keys.h"
#include "http/server.h"
#include "notify/dispatcher.h"
#include "notify/outbox.h"
#include "notify/signature.h"
#include "support/http_client.h"
#include "support/temp_dir.h"
#include "support/webhook_receiver.h"

using namespace parley;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

int arg(int argc, char** argv, const char* name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
  }
  return fallback;
}

void bench_outbox(int events) {
  testing::TempDir dir;
  auto store = std::move(store::open_store({dir.file("parley.db")})).value();
  std::string workspace;
  store::Bot bot;
  (void)store->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto created, tx.create_workspace("bench"));
    workspace = created.id;
    return {};
  });
  testing::WebhookReceiver receiver(8);
  (void)store->write(store::Scope::workspace(workspace), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(bot, tx.create_bot("Bench", store::Json::object()));
    store::Webhook webhook;
    webhook.url = receiver.url("bench");
    webhook.events = {"lead.created"};
    webhook.secret = notify::new_webhook_secret();
    PARLEY_TRY(tx.create_webhook(webhook));
    for (int i = 0; i < events; ++i) {
      const auto event = notify::new_event(notify::event_type::lead_created, bot,
                                           {{"lead", {{"name", "Visitor " + std::to_string(i)}, {"email", "v@example.com"}}}});
      PARLEY_TRY(notify::enqueue(tx, event));
    }
    return {};
  });
  notify::DispatcherOptions options;
  options.allow_private_addresses = true;  // the receiver is on loopback
  notify::Dispatcher dispatcher(*store, options);
  const auto started = Clock::now();
  dispatcher.start();
  const bool all = receiver.wait_for(static_cast<std::size_t>(events), 300s);
  const auto received = Clock::now();
  // Until every outcome is recorded as well.
  for (;;) {
    std::size_t pending = 0;
    (void)store->read(store::Scope::workspace(workspace), [&](store::ReadTx& tx) -> Status {
      store::DeliveryFilter filter;
      filter.state = "pending";
      filter.limit = 1;
      PARLEY_ASSIGN_OR_RETURN(auto rows, tx.deliveries(filter));
      pending = rows.size();
      return {};
    });
    if (pending == 0) break;
    std::this_thread::sleep_for(5ms);
  }
  const auto recorded = Clock::now();
  dispatcher.stop();
  const double seconds_received = std::chrono::duration<double>(received - started).count();
  const double seconds_recorded = std::chrono::duration<double>(recorded - started).count();
  std::printf("outbox: %d events, %s; all received in %.2f s = %.0f events/s; all recorded delivered in %.2f s = %.0f events/s\n",
              events, all ? "all arrived" : "NOT ALL ARRIVED", seconds_received, events / seconds_received,
              seconds_recorded, events / seconds_recorded);
}

// One visitor's event stream on a raw socket: records when each reply marker ("m<n>") arrives.
struct Visitor {
  int socket = -1;
  std::thread reader;
};

void bench_replies(int conversations, int replies) {
  testing::TempDir dir;
  auto store = std::move(store::open_store({dir.file("parley.db")})).value();
  std::string workspace, agent_key;
  (void)store->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto created, tx.create_workspace("bench"));
    workspace = created.id;
    PARLEY_ASSIGN_OR_RETURN(auto key, auth::issue_api_key(tx, workspace, "agent", store::Role::agent));
    agent_key = key.key;
    return {};
  });
  store::Bot bot;
  (void)store->write(store::Scope::workspace(workspace), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(bot, tx.create_bot("Bench", store::Json::object()));
    return {};
  });
  // Every visitor and the agent connect from 127.0.0.1 with one key here: the per-address and per-key rate limits
  // (which have their own bench) are lifted, as 200 visitors would come from 200 addresses.
  api::ApiOptions api_options;
  api_options.limits.per_ip = {0, 1};
  api_options.limits.per_key = {0, 1};
  api::ApiContext context(*store, api_options);
  http::Router router;
  api::register_routes(router, context);
  http::ServerOptions server_options;
  server_options.port = 0;
  server_options.drain_timeout = 1s;
  http::Server server(server_options, router);
  if (!server.listen().ok()) return;
  server.start();
  auto tokens = context.visitor_tokens().value();

  // Conversations waiting for a person, each claimed by the agent (the API key's agent id is "key:<id>").
  std::vector<std::string> ids;
  std::string key_id;
  (void)store->read(store::Scope::workspace(workspace), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto keys, tx.api_keys());
    key_id = keys.at(0).id;
    return {};
  });
  const leads::Agent agent{"key:" + key_id, "Bench"};
  for (int i = 0; i < conversations; ++i) {
    auto outcome = context.handoff().request(bot, "", leads::HandoffReason::button);
    ids.push_back(outcome->conversation.id);
    (void)context.handoff().claim(store::Scope::workspace(workspace), bot.id, ids.back(), agent);
  }

  std::mutex mutex;
  std::map<int, Clock::time_point> arrived;
  std::vector<Visitor> visitors(static_cast<std::size_t>(conversations));
  const std::size_t before = context.live().listeners();
  for (int i = 0; i < conversations; ++i) {
    Visitor& visitor = visitors[static_cast<std::size_t>(i)];
    visitor.socket = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(server.port());
    if (::connect(visitor.socket, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return;
    const std::string request = "GET /api/v1/widget/" + bot.id + "/events?visitor_token=" +
                                tokens->issue(bot.id, ids[static_cast<std::size_t>(i)]) +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
    (void)::send(visitor.socket, request.data(), request.size(), MSG_NOSIGNAL);
    visitor.reader = std::thread([&, socket = visitor.socket] {
      std::string buffer;
      char chunk[8192];
      for (ssize_t n; (n = ::recv(socket, chunk, sizeof chunk, 0)) > 0;) {
        const auto now = Clock::now();
        buffer.append(chunk, static_cast<std::size_t>(n));
        for (std::size_t at; (at = buffer.find("\"text\":\"m")) != std::string::npos;) {
          const int marker = std::atoi(buffer.c_str() + at + 9);
          {
            std::lock_guard lock(mutex);
            arrived.emplace(marker, now);
          }
          buffer.erase(0, at + 9);
        }
        if (buffer.size() > 65536) buffer.erase(0, buffer.size() - 1024);
      }
    });
  }
  const auto streams_deadline = Clock::now() + 30s;
  while (context.live().listeners() < before + static_cast<std::size_t>(conversations)) {
    if (Clock::now() > streams_deadline) {
      std::printf("replies: only %zu of %d visitor streams opened in 30 s\n", context.live().listeners() - before, conversations);
      std::exit(1);
    }
    std::this_thread::sleep_for(5ms);
  }

  testing::HttpClient client(server.port());
  std::mt19937 random(7);
  std::vector<Clock::time_point> sent(static_cast<std::size_t>(replies));
  for (int n = 0; n < replies; ++n) {
    const std::string& id = ids[random() % ids.size()];
    sent[static_cast<std::size_t>(n)] = Clock::now();
    const auto response = client.request("POST", "/api/v1/bots/" + bot.id + "/conversations/" + id + "/reply",
                                         store::Json{{"text", "m" + std::to_string(n)}}.dump(),
                                         {{"Authorization", "Bearer " + agent_key}, {"Content-Type", "application/json"}});
    if (response.status != 200) std::printf("reply failed: %d %s\n", response.status, response.body.c_str());
  }
  std::this_thread::sleep_for(500ms);
  std::vector<double> latencies_ms;
  {
    std::lock_guard lock(mutex);
    for (int n = 0; n < replies; ++n) {
      const auto it = arrived.find(n);
      if (it != arrived.end()) {
        latencies_ms.push_back(std::chrono::duration<double, std::milli>(it->second - sent[static_cast<std::size_t>(n)]).count());
      }
    }
  }
  for (auto& visitor : visitors) {
    ::shutdown(visitor.socket, SHUT_RDWR);
    ::close(visitor.socket);
    if (visitor.reader.joinable()) visitor.reader.join();
  }
  server.stop();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const auto pct = [&](double p) {
    return latencies_ms.empty() ? 0.0 : latencies_ms[std::min(latencies_ms.size() - 1, static_cast<std::size_t>(p * latencies_ms.size()))];
  };
  std::printf("replies: %d open conversations with a visitor stream each, %d replies (%zu arrived): "
              "p50 %.2f ms, p99 %.2f ms, max %.2f ms (POST sent → bytes on the visitor's socket)\n",
              conversations, replies, latencies_ms.size(), pct(0.50), pct(0.99), latencies_ms.empty() ? 0.0 : latencies_ms.back());
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  bench_outbox(arg(argc, argv, "--events", 5000));
  bench_replies(arg(argc, argv, "--conversations", 200), arg(argc, argv, "--replies", 1000));
  return 0;
}
