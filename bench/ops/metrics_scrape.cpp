// metrics_scrape [BOTS] [SCRAPES]: how long GET /metrics takes on a server with BOTS bots (default 1,000), each of
// which has answered, so that every per-bot series exists — over a real socket, from a real SQLite store
// (bench/support/chat_server.h). Prints the scrape's size and its latency percentiles (target, issue 19: <= 5 ms with
// 1,000 bots).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/support/bench_store.h"
#include "bench/support/chat_server.h"
#include "bench/support/stats.h"

using namespace parley;

int main(int argc, char** argv) {
  const int bots = argc > 1 ? std::stoi(argv[1]) : 1000;
  const int scrapes = argc > 2 ? std::stoi(argv[2]) : 500;
  api::ApiOptions options;
  // One client address asks for every bot: the limiter is not what this measures.
  options.limits.per_ip = {0, 1};
  options.limits.per_bot = {0, 1};
  options.limits.per_visitor = {0, 1};
  bench::ChatServer server(std::move(options));

  const auto setup_started = std::chrono::steady_clock::now();
  std::vector<std::string> bot_ids;
  for (int first = 0; first < bots; first += 100) {
    const Status created = server.store().write(store::Scope::workspace(server.workspace_id()), [&](store::WriteTx& tx) -> Status {
      for (int i = first; i < std::min(bots, first + 100); ++i) {
        PARLEY_ASSIGN_OR_RETURN(auto bot, tx.create_bot("Bot " + std::to_string(i), store::Json::object()));
        bot_ids.push_back(bot.id);
      }
      return {};
    });
    if (!created.ok()) return bench::fail(created.error());
  }
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
    if (scraped.status != 200) {
      std::fprintf(stderr, "scrape failed: %d\n", scraped.status);
      return 1;
    }
    bytes = scraped.body.size();
    lines = static_cast<std::size_t>(std::count(scraped.body.begin(), scraped.body.end(), '\n'));
  }
  std::printf("RESULT bots=%d scrapes=%d scrape_bytes=%zu scrape_lines=%zu p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
              bots, scrapes, bytes, lines, bench::percentile(ms, 0.50), bench::percentile(ms, 0.90),
              bench::percentile(ms, 0.99), *std::max_element(ms.begin(), ms.end()));
  return 0;
}
