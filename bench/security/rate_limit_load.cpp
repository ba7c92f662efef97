// Load: one IP floods the public chat endpoint at a fixed rate (default 1,000 requests/s) while other IPs chat at an
// ordinary pace. A real server on a real socket (in this process), a real SQLite file, the real answer pipeline;
// clients are told apart by X-Forwarded-For from a trusted proxy (127.0.0.1), as behind a reverse proxy.
//
// Phase 1 measures the other IPs alone (the normal p99); phase 2 the same with the flood. Prints the flood's
// accepted/limited counts against what the token bucket allows (burst + rate x seconds) and both p99s.
//
//   rate_limit_load [--seconds 10] [--flood-rate 1000] [--clients 8] [--client-rate 2]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "bench/support/chat_server.h"

namespace {

using Clock = std::chrono::steady_clock;
using parley::testing::HttpClient;

const char* const kQuestions[] = {"How much is shipping?", "When do parcels arrive?", "Can I return a bike?",
                                  "What are the opening hours?"};

}  // namespace

int main(int argc, char** argv) {
  double seconds = 10, flood_rate = 1000, client_rate = 2;
  int clients = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const double value = std::stod(argv[i + 1]);
    if (flag == "--seconds") seconds = value;
    if (flag == "--flood-rate") flood_rate = value;
    if (flag == "--clients") clients = static_cast<int>(value);
    if (flag == "--client-rate") client_rate = value;
  }
  using namespace parley;
  api::ApiOptions options;
  options.limits.trusted_proxies = std::move(limits::TrustedProxies::parse({"127.0.0.1"})).value();
  options.limits.per_bot = {0, 1};  // this bench measures the per-IP limit alone
  const limits::Rate per_ip = options.limits.per_ip;
  bench::ChatServer server(std::move(options));
  const unsigned short port = server.port();
  const std::string bot = server.create_bot(
      "# Shipping\n\nShipping costs $7.95; free over $75. Parcels arrive in 3 to 5 business days.\n\n# Returns\n\n"
      "Bikes can be returned within 30 days.\n\n# Stores\n\nOpen Monday to Saturday, 9am to 6pm.\n");
  // Every ordinary client is its own IP, told apart by X-Forwarded-For from the trusted proxy.
  const auto own_ip = [](int client) { return bench::Headers{{"X-Forwarded-For", "198.51.100." + std::to_string(10 + client)}}; };

  bench::Latencies normal;
  bench::paced_chat(port, bot, clients, client_rate, seconds, kQuestions, own_ip, normal);
  const double normal_p50 = normal.percentile(0.5), normal_p99 = normal.percentile(0.99);

  // The flood: 4 connections from one IP, paced to flood_rate in total.
  std::atomic<long> accepted{0}, limited{0}, other{0};
  std::atomic<bool> flooding{true};
  std::vector<std::thread> flooders;
  const auto flood_start = Clock::now();
  for (int f = 0; f < 4; ++f) {
    flooders.emplace_back([&, f] {
      HttpClient client(port);
      const auto interval = std::chrono::duration<double>(4.0 / flood_rate);
      const auto start = flood_start + std::chrono::duration_cast<Clock::duration>(interval * (f / 4.0));
      for (long i = 0; flooding; ++i) {
        std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(i)));
        const auto result = client.request("POST", "/api/v1/bots/" + bot + "/chat", R"({"message":"How much is shipping?"})",
                                           {{"Content-Type", "application/json"}, {"X-Forwarded-For", "203.0.113.66"}});
        (result.status == 200 ? accepted : result.status == 429 ? limited : other)++;
      }
    });
  }
  bench::Latencies loaded;
  bench::paced_chat(port, bot, clients, client_rate, seconds, kQuestions, own_ip, loaded);
  flooding = false;
  for (auto& thread : flooders) thread.join();
  const double flood_seconds = std::chrono::duration<double>(Clock::now() - flood_start).count();
  server.stop();

  const double allowed = per_ip.burst + per_ip.per_second * flood_seconds;
  std::printf("flood from one IP: %ld requests in %.1f s (%.0f/s): %ld answered, %ld limited (429), %ld other; "
              "the bucket allows %.0f (burst %.0f + %.0f/s)\n",
              accepted + limited + other, flood_seconds, static_cast<double>(accepted + limited + other) / flood_seconds,
              accepted.load(), limited.load(), other.load(), allowed, per_ip.burst, per_ip.per_second);
  std::printf("other IPs (%d clients x %.1f req/s): without flood p50 %.2f ms p99 %.2f ms (%zu answers, %d errors); "
              "with flood p50 %.2f ms p99 %.2f ms (%zu answers, %d errors); p99 ratio %.2f\n",
              clients, client_rate, normal_p50, normal_p99, normal.count(), normal.errors(), loaded.percentile(0.5),
              loaded.percentile(0.99), loaded.count(), loaded.errors(), loaded.percentile(0.99) / std::max(normal_p99, 1e-9));
  return 0;
}
