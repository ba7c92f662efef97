// metrics_scrape [BOTS] [SCRAPES]: how long GET /metrics takes on a server with BOTS bots (default 1,000), each of
// which has answered, so that every per-bot series exists — over a real socket, from a real SQLite store. Prints the
// scrape's size and its latency percentiles (target, issue 19: <= 5 ms with 1,000 bots).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "api/api.h"
#include "auth/api_keys.h"
#include "http/server.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

using namespace parley;

int main(int argc, char** argv) {
  const int bots = argc > 1 ? std::stoi(argv[1]) : 1000;
  const int scrapes = argc > 2 ? std::stoi(argv[2]) : 500;
  testing::TempDir dir;
  auto store = std::move(store::open_store({dir.file("parley.db")})).value();
  std::vector<std::string> bot_ids;
  const Status created = store->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto workspace, tx.create_workspace("W"));
    (void)workspace;
    return {};
  });
  if (!created.ok()) return 1;
  std::string workspace_id;
  (void)store->read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto workspaces, tx.workspaces());
    workspace_id = workspaces.front().id;
    return {};
  });
  const auto setup_started = std::chrono::steady_clock::now();
  for (int b = 0; b < bots; b += 100) {
    (void)store->write(store::Scope::workspace(workspace_id), [&](store::WriteTx& tx) -> Status {
      for (int i = b; i < std::min(bots, b + 100); ++i) {
        PARLEY_ASSIGN_OR_RETURN(auto bot, tx.create_bot("Bot " + std::to_string(i), store::Json::object()));
        bot_ids.push_back(bot.id);
      }
      return {};
    });
  }
  api::ApiOptions options;
  options.limits.per_ip = {0, 1};
  options.limits.per_bot = {0, 1};
  options.limits.per_visitor = {0, 1};
  api::ApiContext context(*store, options);
  http::Router router;
  api::register_routes(router, context);
  http::ServerOptions server_options;
  server_options.port = 0;
  http::Server server(server_options, router);
  if (!server.listen().ok()) return 1;
  server.start();
  testing::HttpClient client(server.port());
  // One answer per bot (a fallback: the bots know nothing), so that each has its series.
  for (const auto& bot : bot_ids) {
    const auto reply = client.request("POST", "/api/v1/bots/" + bot + "/chat", R"({"message":"Hello, are you open today?"})",
                                      {{"Content-Type", "application/json"}});
    if (reply.status != 200) {
      std::fprintf(stderr, "chat failed: %d %s\n", reply.status, reply.body.c_str());
      return 1;
    }
  }
  std::printf("setup: %d bots answered once each in %.1f s\n", bots,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - setup_started).count());
  std::vector<double> ms;
  std::size_t bytes = 0, lines = 0;
  for (int s = 0; s < scrapes; ++s) {
    const auto started = std::chrono::steady_clock::now();
    const auto scraped = client.request("GET", "/metrics");
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
    if (scraped.status != 200) return 1;
    bytes = scraped.body.size();
    lines = static_cast<std::size_t>(std::count(scraped.body.begin(), scraped.body.end(), '\n'));
  }
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(p / 100 * ms.size()))]; };
  std::printf("RESULT bots=%d scrape_bytes=%zu scrape_lines=%zu p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n", bots,
              bytes, lines, at(50), at(90), at(99), ms.back());
  server.stop();
  return 0;
}
