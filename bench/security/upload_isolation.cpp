// Heavy uploads next to live chat: public chat latency alone, then while five uploads of a hostile PDF (4,999
// pages that all show one dense content stream, ~0.8 MB, tens of seconds of CPU to read) run at once. A real
// server on a real socket (in this process), a real SQLite file, the real answer pipeline; uploads go through the
// ordinary synchronous upload route, so they are read on the upload pool (ingest/upload_pool.h) at background
// priority under the per-file CPU budget.
//
// Prints chat p50/p99 idle and under the uploads, their ratio (target: p99 <= 2x idle), and what became of each
// upload (status, wall time, the error when its CPU budget ran out).
//
//   upload_isolation [--seconds 15] [--clients 4] [--rate 20] [--uploads 5] [--lines 1000] [--budget-ms 20000]
// Wall-clock figures: run it as `chrt -f 50 upload_isolation ...` on a shared machine (docs/PERFORMANCE.md).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/api.h"
#include "auth/api_keys.h"
#include "http/server.h"
#include "support/documents.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

namespace {

using Clock = std::chrono::steady_clock;
using parley::testing::HttpClient;

struct Latencies {
  std::mutex mutex;
  std::vector<double> ms;
  int errors = 0;
  void add(double value) {
    std::lock_guard lock(mutex);
    ms.push_back(value);
  }
  double percentile(double p) {
    std::lock_guard lock(mutex);
    if (ms.empty()) return 0;
    std::sort(ms.begin(), ms.end());
    return ms[std::min(ms.size() - 1, static_cast<std::size_t>(p * static_cast<double>(ms.size())))];
  }
};

const char* const kQuestions[] = {"How much is shipping?", "When do parcels arrive?", "Can I return a bike?",
                                  "What are the opening hours?", "Do you repair e-bikes?", "How do I pay?"};

// `clients` threads, each sending `rate` public chat requests per second for `seconds`.
void chat_clients(unsigned short port, const std::string& bot, int clients, double rate, double seconds, Latencies& out) {
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      HttpClient client(port);
      const auto start = Clock::now() + std::chrono::milliseconds(7 * c);
      const auto interval = std::chrono::duration<double>(1.0 / rate);
      for (int i = 0; std::chrono::duration<double>(Clock::now() - start).count() < seconds; ++i) {
        std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(interval * i));
        const auto sent = Clock::now();
        const auto result = client.request("POST", "/api/v1/bots/" + bot + "/chat",
                                           nlohmann::json{{"message", kQuestions[(i + c) % 6]}}.dump(),
                                           {{"Content-Type", "application/json"}});
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
        if (result.status != 200) {
          std::lock_guard lock(out.mutex);
          ++out.errors;
        } else {
          out.add(ms);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
}

double load_average() {
  std::ifstream in("/proc/loadavg");
  double one = 0;
  in >> one;
  return one;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 15, rate = 20, budget_ms = 20000;
  int clients = 4, uploads = 5, lines = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const double value = std::stod(argv[i + 1]);
    if (flag == "--seconds") seconds = value;
    if (flag == "--clients") clients = static_cast<int>(value);
    if (flag == "--rate") rate = value;
    if (flag == "--uploads") uploads = static_cast<int>(value);
    if (flag == "--lines") lines = static_cast<int>(value);
    if (flag == "--budget-ms") budget_ms = value;
  }
  using namespace parley;
  testing::TempDir dir;
  auto store = std::move(store::open_store({dir.file("parley.db")})).value();
  std::string key;
  (void)store->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto workspace, tx.create_workspace("W"));
    PARLEY_ASSIGN_OR_RETURN(auto issued, auth::issue_api_key(tx, workspace.id, "bench", store::Role::owner));
    key = issued.key;
    return {};
  });
  api::ApiOptions options;
  options.upload_cpu_budget = std::chrono::milliseconds(static_cast<long>(budget_ms));
  // Chat is paced by the clients; the bench measures latency, not the limits.
  options.limits.per_ip = {0, 1};
  options.limits.per_bot = {0, 1};
  options.limits.per_visitor = {0, 1};
  options.limits.per_key = {0, 1};
  api::ApiContext context(*store, options);
  http::Router router;
  api::register_routes(router, context);
  http::ServerOptions server_options;
  server_options.port = 0;
  http::Server server(server_options, router);
  if (!server.listen().ok()) return 1;
  server.start();
  const unsigned short port = server.port();

  HttpClient admin(port);
  const std::map<std::string, std::string> auth{{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}};
  const std::string bot = admin.request("POST", "/api/v1/bots", R"({"name":"Bench"})", auth).json()["id"];
  std::string doc;
  for (int topic = 0; topic < 40; ++topic) {
    doc += "# Topic " + std::to_string(topic) + "\n\nShipping costs $7.95; free over $75. Parcels arrive in 3 to 5 "
           "business days. Bikes can be returned within 30 days. Stores open Monday to Saturday, 9am to 6pm. We "
           "repair e-bikes in every store. Pay by card, invoice or bank transfer.\n\n";
  }
  admin.request("POST", "/api/v1/bots/" + bot + "/sources", nlohmann::json{{"name", "help.md"}, {"content", doc}}.dump(), auth);

  const std::string pdf = testing::make_pdf_sharing_one_stream(4999, lines);
  std::printf("hostile PDF: 4,999 pages sharing one content stream of %d lines, %.0f KB; upload CPU budget %.1f s; "
              "load average before: %.2f\n",
              lines, static_cast<double>(pdf.size()) / 1024, budget_ms / 1000, load_average());

  Latencies idle;
  chat_clients(port, bot, clients, rate, seconds, idle);

  struct Outcome {
    int status = 0;
    double seconds = 0;
    std::string message;
  };
  std::vector<Outcome> outcomes(static_cast<std::size_t>(uploads));
  std::vector<std::thread> uploaders;
  const auto uploads_start = Clock::now();
  for (int u = 0; u < uploads; ++u) {
    uploaders.emplace_back([&, u] {
      HttpClient client(port);
      auto headers = auth;
      headers["Content-Type"] = "application/pdf";
      const auto result = client.request("POST", "/api/v1/bots/" + bot + "/sources?name=manual-" + std::to_string(u) + ".pdf",
                                         pdf, headers);
      auto& outcome = outcomes[static_cast<std::size_t>(u)];
      outcome.status = result.status;
      outcome.seconds = std::chrono::duration<double>(Clock::now() - uploads_start).count();
      const auto json = result.json();
      outcome.message = json.contains("error") ? json["error"].value("message", "") : "";
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the uploads are being read
  Latencies loaded;
  const double load_during = load_average();
  chat_clients(port, bot, clients, rate, seconds, loaded);
  const auto stats = context.upload_pool().stats();
  for (auto& thread : uploaders) thread.join();
  server.stop();

  std::printf("public chat, %d clients x %.0f req/s for %.0f s each phase:\n", clients, rate, seconds);
  std::printf("  idle:              p50 %.2f ms  p99 %.2f ms  (%zu answers, %d errors)\n", idle.percentile(0.5),
              idle.percentile(0.99), idle.ms.size(), idle.errors);
  std::printf("  during %d uploads:  p50 %.2f ms  p99 %.2f ms  (%zu answers, %d errors)  p99 ratio %.2f  "
              "(upload pool then: %zu running, %zu queued)\n",
              uploads, loaded.percentile(0.5), loaded.percentile(0.99), loaded.ms.size(), loaded.errors,
              loaded.percentile(0.99) / std::max(idle.percentile(0.99), 1e-9), stats.running, stats.queued);
  for (std::size_t u = 0; u < outcomes.size(); ++u) {
    std::printf("  upload %zu: HTTP %d after %.1f s%s%s\n", u, outcomes[u].status, outcomes[u].seconds,
                outcomes[u].message.empty() ? "" : ": ", outcomes[u].message.c_str());
  }
  std::printf("load average during: %.2f\n", load_during);
  return 0;
}
