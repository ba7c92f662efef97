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
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/support/chat_server.h"
#include "support/documents.h"

namespace {

using Clock = std::chrono::steady_clock;
using parley::testing::HttpClient;

const char* const kQuestions[] = {"How much is shipping?", "When do parcels arrive?", "Can I return a bike?",
                                  "What are the opening hours?", "Do you repair e-bikes?", "How do I pay?"};

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
  api::ApiOptions options;
  options.upload_cpu_budget = std::chrono::milliseconds(static_cast<long>(budget_ms));
  // Chat is paced by the clients; the bench measures latency, not the limits.
  options.limits.per_ip = {0, 1};
  options.limits.per_bot = {0, 1};
  options.limits.per_visitor = {0, 1};
  options.limits.per_key = {0, 1};
  bench::ChatServer server(std::move(options));
  const unsigned short port = server.port();
  std::string doc;
  for (int topic = 0; topic < 40; ++topic) {
    doc += "# Topic " + std::to_string(topic) + "\n\nShipping costs $7.95; free over $75. Parcels arrive in 3 to 5 "
           "business days. Bikes can be returned within 30 days. Stores open Monday to Saturday, 9am to 6pm. We "
           "repair e-bikes in every store. Pay by card, invoice or bank transfer.\n\n";
  }
  const std::string bot = server.create_bot(doc);
  const auto anonymous = [](int) { return bench::Headers{}; };

  const std::string pdf = testing::make_pdf_sharing_one_stream(4999, lines);
  std::printf("hostile PDF: 4,999 pages sharing one content stream of %d lines, %.0f KB; upload CPU budget %.1f s; "
              "load average before: %.2f\n",
              lines, static_cast<double>(pdf.size()) / 1024, budget_ms / 1000, load_average());

  bench::Latencies idle;
  bench::paced_chat(port, bot, clients, rate, seconds, kQuestions, anonymous, idle);

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
      auto headers = server.owner_headers();
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
  bench::Latencies loaded;
  const double load_during = load_average();
  bench::paced_chat(port, bot, clients, rate, seconds, kQuestions, anonymous, loaded);
  const auto stats = server.context().upload_pool().stats();
  for (auto& thread : uploaders) thread.join();
  server.stop();

  std::printf("public chat, %d clients x %.0f req/s for %.0f s each phase:\n", clients, rate, seconds);
  std::printf("  idle:              p50 %.2f ms  p99 %.2f ms  (%zu answers, %d errors)\n", idle.percentile(0.5),
              idle.percentile(0.99), idle.count(), idle.errors());
  std::printf("  during %d uploads:  p50 %.2f ms  p99 %.2f ms  (%zu answers, %d errors)  p99 ratio %.2f  "
              "(upload pool then: %zu running, %zu queued)\n",
              uploads, loaded.percentile(0.5), loaded.percentile(0.99), loaded.count(), loaded.errors(),
              loaded.percentile(0.99) / std::max(idle.percentile(0.99), 1e-9), stats.running, stats.queued);
  for (std::size_t u = 0; u < outcomes.size(); ++u) {
    std::printf("  upload %zu: HTTP %d after %.1f s%s%s\n", u, outcomes[u].status, outcomes[u].seconds,
                outcomes[u].message.empty() ? "" : ": ", outcomes[u].message.c_str());
  }
  std::printf("load average during: %.2f\n", load_during);
  return 0;
}
