// parley_llm_bench [STREAMS] [REPETITIONS]: what Parley adds on top of a model provider.
//  1. Routing + grounded prompt building per request (plan_routes + build_grounded_prompt with 5 passages of ~1 KB
//     and 6 earlier messages), mean and p99 over REPETITIONS (default 20,000).
//  2. Time to first token through Parley (POST /v1/chat/completions, model bot:<id>, streaming, the bot routed to a
//     loopback provider that replays OpenAI's wire format) against the same provider called directly.
//  3. STREAMS (default 500) concurrent streaming chats through one Parley instance: errors, and the p99 of time to
//     first token and total time, minus the same figures for STREAMS concurrent streams straight to the provider.
// Everything runs over real loopback HTTP in this process: the provider stand-in, the Parley server (real store,
// retrieval, routing) and the client (the libcurl multi client Parley itself uses for providers).
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/api.h"
#include "bench/support/chat_server.h"
#include "ingest/ingest.h"
#include "http/server.h"
#include "llm/grounding.h"
#include "llm/remote_provider.h"
#include "llm/routing.h"
#include "support/fake_provider.h"

namespace {

using namespace parley;
using Clock = std::chrono::steady_clock;

using bench::percentile;

double mean(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? 0 : sum / static_cast<double>(values.size());
}

void bench_routing_and_prompt(int repetitions) {
  auto registry = std::make_shared<llm::ProviderRegistry>();
  llm::RemoteProviderConfig config;
  config.name = "remote";
  config.base_url = "http://127.0.0.1:9/v1";
  registry->add(std::make_shared<llm::RemoteProvider>(config), {"remote", "openai", "m", false, 1, 2});
  registry->add(std::make_shared<llm::RemoteProvider>(config), {"local", "openai", "m", true, 0, 0});
  llm::RoutingPolicy policy;
  policy.mode = llm::RoutingMode::local_first;
  policy.remote = "remote";
  llm::GroundedPromptInput input;
  input.bot_name = "Northwind Bikes";
  input.persona = "You are the friendly help desk of Northwind Bikes.";
  input.question = "How long do I have to return a bike that arrived damaged?";
  for (int i = 1; i <= 5; ++i) {
    std::string text;
    while (text.size() < 1000) text += "Returns are accepted within 30 days of delivery when items are unused. ";
    input.passages.push_back({i, "Returns policy > Section " + std::to_string(i), text});
  }
  for (int i = 0; i < 6; ++i) {
    input.history.push_back({i % 2 ? "assistant" : "user", "An earlier message about orders and deliveries, number " + std::to_string(i)});
  }
  input.count_tokens = llm::estimate_tokens;
  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(repetitions));
  std::size_t sink = 0;
  for (int i = 0; i < repetitions; ++i) {
    const auto start = Clock::now();
    const auto plan = llm::plan_routes(policy, *registry, {0.5, 0, 0});
    const auto messages = llm::build_grounded_prompt(input);
    const auto json = plan.to_json().dump();
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    sink += messages.size() + json.size();
  }
  std::printf("routing + prompt building: mean %.1f us, p99 %.1f us per request (%d requests, %zu)\n", mean(micros),
              percentile(micros, 0.99), repetitions, sink % 10);
}

struct StreamTimes {
  std::vector<double> first_token_ms;
  std::vector<double> total_ms;
  int errors = 0;
  std::string first_error;
};

// Runs `count` streaming generations through `provider`, starting one every `spacing`; waits for all.
StreamTimes run_streams(llm::Provider& provider, const llm::GenerationRequest& request, int count,
                        std::chrono::microseconds spacing = std::chrono::microseconds(0)) {
  StreamTimes times;
  std::mutex mutex;
  std::condition_variable all_done;
  int remaining = count;
  for (int i = 0; i < count; ++i) {
    llm::GenerationSink sink;
    sink.on_done = [&](llm::GenerationOutcome outcome) {
      std::lock_guard lock(mutex);
      if (outcome.ok()) {
        times.first_token_ms.push_back(outcome.result.first_token_ms);
        times.total_ms.push_back(outcome.result.total_ms);
      } else {
        if (times.errors++ == 0) times.first_error = outcome.error->message;
      }
      if (--remaining == 0) all_done.notify_all();
    };
    provider.generate(request, std::move(sink), nullptr);
    if (spacing.count() > 0) std::this_thread::sleep_for(spacing);
  }
  std::unique_lock lock(mutex);
  all_done.wait(lock, [&] { return remaining == 0; });
  return times;
}

}  // namespace

int main(int argc, char** argv) {
  const int streams = argc > 1 ? std::atoi(argv[1]) : 500;
  const int repetitions = argc > 2 ? std::atoi(argv[2]) : 20'000;
  bench_routing_and_prompt(repetitions);

  // The provider stand-in: the reply in pieces after a first-token delay, like a real model server.
  testing::FakeProvider provider;
  provider.set(testing::ProviderBehaviour::slow_first_token,
               "Returns are accepted within 30 days of delivery [1]. Items must be unused.", std::chrono::milliseconds(50));

  // Parley with one bot routed to that provider.
  std::string bot_id;
  auto registry = std::make_shared<llm::ProviderRegistry>();
  llm::RemoteProviderConfig upstream;
  upstream.name = "upstream";
  upstream.base_url = provider.base_url();
  upstream.default_model = "m";
  llm::ResilienceOptions resilience;
  resilience.max_concurrency = streams * 2;
  registry->add(std::make_shared<llm::RemoteProvider>(upstream), {"upstream", "openai", "m", false, 1, 2}, resilience);
  api::ApiOptions options;
  options.providers = registry;
  // One benchmark key sends every chat: its rate limit is lifted (the limits have their own bench).
  options.limits.per_key = {1e6, 1e6};
  bench::ChatServer server(std::move(options));
  store::Store* store = &server.store();
  {
    // The bot, created and filled through the store as the API would.
    const auto workspace = [&] {
      std::string id;
      (void)store->read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
        PARLEY_ASSIGN_OR_RETURN(auto all, tx.workspaces());
        id = all.front().id;
        return {};
      });
      return id;
    }();
    (void)store->write(store::Scope::workspace(workspace), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto bot, tx.create_bot("Shop", {{"routing", {{"mode", "remote-only"}, {"remote", "upstream"}}}}));
      bot_id = bot.id;
      return {};
    });
    ingest::FileUpload file;
    file.bot_id = bot_id;
    file.name = "returns.md";
    file.bytes = "# Returns policy\n\n## Time limit\n\nReturns are accepted within 30 days of delivery. Items must be unused.\n";
    auto added = ingest::add_file(*store, store::Scope::workspace(workspace), file);
    if (!added.ok()) {
      std::fprintf(stderr, "ingest failed: %s\n", added.error().message.c_str());
      return 1;
    }
  }

  // The benchmark's clients get their own libcurl thread, as they would in another process: Parley's upstream
  // streams keep the shared one to themselves.
  llm::StreamingHttpClient client_thread;
  llm::RemoteProviderConfig direct_config = upstream;
  llm::RemoteProvider direct(direct_config, client_thread);
  llm::RemoteProviderConfig through_config;
  through_config.name = "parley";
  through_config.base_url = "http://127.0.0.1:" + std::to_string(server.port()) + "/v1";
  through_config.api_key = server.owner_key();
  through_config.default_model = "bot:" + bot_id;
  llm::RemoteProvider through(through_config, client_thread);
  llm::GenerationRequest request;
  request.messages = {{"user", "How long do I have to return an item?"}};
  request.model = "m";
  llm::GenerationRequest via_bot = request;
  via_bot.model = "bot:" + bot_id;

  // Warm-up, then one stream at a time.
  (void)run_streams(direct, request, 4);
  (void)run_streams(through, via_bot, 4);
  StreamTimes direct_single, through_single;
  for (int i = 0; i < 50; ++i) {
    auto d = run_streams(direct, request, 1);
    auto t = run_streams(through, via_bot, 1);
    direct_single.first_token_ms.insert(direct_single.first_token_ms.end(), d.first_token_ms.begin(), d.first_token_ms.end());
    through_single.first_token_ms.insert(through_single.first_token_ms.end(), t.first_token_ms.begin(), t.first_token_ms.end());
    through_single.errors += t.errors;
  }
  std::printf("time to first token, one stream: provider %.2f ms median, through Parley %.2f ms median (added %.2f ms; "
              "p99 added %.2f ms), %d errors\n",
              percentile(direct_single.first_token_ms, 0.5), percentile(through_single.first_token_ms, 0.5),
              percentile(through_single.first_token_ms, 0.5) - percentile(direct_single.first_token_ms, 0.5),
              percentile(through_single.first_token_ms, 0.99) - percentile(direct_single.first_token_ms, 0.99),
              through_single.errors);

  // Many open at once: each reply streams for ~1.5 s (15 pieces 100 ms apart) and a new chat starts every 2 ms,
  // so all `streams` are open together in the middle of the run.
  provider.set_piece_interval(std::chrono::milliseconds(100));
  const auto spacing = std::chrono::microseconds(2000);
  const auto direct_many = run_streams(direct, request, streams, spacing);
  const auto through_many = run_streams(through, via_bot, streams, spacing);
  std::printf("%d concurrent streams: provider direct p99 first token %.1f ms, total %.1f ms (%d errors); through "
              "Parley p99 first token %.1f ms, total %.1f ms (%d errors%s%s); p99 added: first token %.1f ms, total "
              "%.1f ms\n",
              streams, percentile(direct_many.first_token_ms, 0.99), percentile(direct_many.total_ms, 0.99),
              direct_many.errors, percentile(through_many.first_token_ms, 0.99), percentile(through_many.total_ms, 0.99),
              through_many.errors, through_many.errors ? ": " : "", through_many.first_error.c_str(),
              percentile(through_many.first_token_ms, 0.99) - percentile(direct_many.first_token_ms, 0.99),
              percentile(through_many.total_ms, 0.99) - percentile(direct_many.total_ms, 0.99));
  server.stop();
  return through_many.errors == 0 ? 0 : 1;
}
