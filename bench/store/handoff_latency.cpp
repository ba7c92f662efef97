// Live handoff across replicas: two API servers on one PostgreSQL database (replica A and replica B, each with a
// store of its own, as two `parley serve` processes have), an agent's inbox stream on A and a visitor's widget
// stream on B. Each round the agent replies through A and the time until the reply is read on B's stream is
// measured; then the visitor writes through B and the time until A's inbox stream shows it. The clock starts when
// the POST is sent, so a figure is the whole path: HTTP, the write transaction, the broadcast (a row and a NOTIFY),
// the other replica's listener, its event stream. Target: p99 <= 100 ms each way.
//
// Usage: bench/store/with_postgres.sh build/bench/store/parley_handoff_latency [ROUNDS] [PAUSE_MS]
//        (default 90 rounds, 20 ms between rounds: two messages a round stay within a conversation's
//        [limits] max_conversation_messages of 200)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "bench/support/chat_server.h"
#include "bench/support/stats.h"

namespace {

using namespace parley;
using Clock = std::chrono::steady_clock;

double millis_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

int fail(const std::string& why) {
  std::fprintf(stderr, "error: %s\n", why.c_str());
  return 1;
}

void report(const char* direction, const bench::Latencies& latencies) {
  std::printf("%-34s p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms  (%zu messages, %d not delivered within 5 s)\n",
              direction, latencies.percentile(0.5), latencies.percentile(0.99), latencies.percentile(1.0),
              latencies.count(), latencies.errors());
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 90;
  const int pause_ms = argc > 2 ? std::atoi(argv[2]) : 20;
  const char* url = std::getenv("PARLEY_STORE_URL");
  if (url == nullptr) return fail("needs PostgreSQL: run it under bench/store/with_postgres.sh");

  api::ApiOptions options;
  // Delivery is measured, not the limits: the visitor writes faster than a person would.
  options.limits.per_ip = options.limits.per_key = options.limits.per_bot = options.limits.per_visitor = {0, 1};
  store::StoreOptions shared;
  shared.url = url;
  bench::ChatServer replica_a(options, shared), replica_b(options, shared);
  const std::string bot = replica_a.create_bot("# Shipping\n\nShipping costs $7.95; free over $75.\n");
  const bench::Headers agent = replica_a.owner_headers();

  // The visitor, on B, asks for a person; the agent, on A, takes the conversation.
  testing::EventStreamReader inbox(replica_a.port(), "/api/v1/inbox/events", agent);
  if (!inbox.wait_for("event: inbox", std::chrono::seconds(5))) return fail("the inbox stream did not start");
  testing::HttpClient visitor(replica_b.port()), agent_client(replica_a.port());
  const bench::Headers json = {{"Content-Type", "application/json"}};
  const auto first = visitor.request("POST", "/api/v1/bots/" + bot + "/chat", R"({"message":"How much is shipping?"})", json);
  if (first.status != 200) return fail("chat: HTTP " + std::to_string(first.status));
  const std::string token = first.json()["visitor_token"], conversation = first.json()["conversation_id"];
  const auto asked = visitor.request("POST", "/api/v1/bots/" + bot + "/chat",
                                     nlohmann::json{{"message", "Can I talk to a person?"}, {"visitor_token", token}}.dump(), json);
  if (asked.status != 200 || asked.json().value("status", "") != "waiting_for_agent") return fail("no handoff: " + asked.body);
  testing::EventStreamReader widget(replica_b.port(), "/api/v1/widget/" + bot + "/events?visitor_token=" + token);
  if (!widget.wait_for("event: status", std::chrono::seconds(5))) return fail("the widget stream did not start");
  const std::string path = "/api/v1/bots/" + bot + "/conversations/" + conversation;
  const auto claimed = agent_client.request("POST", path + "/claim", R"({"agent_name":"Sam"})", agent);
  if (claimed.status != 200) return fail("claim: " + claimed.body);

  bench::Latencies to_visitor, to_agent;
  for (int round = 0; round < rounds; ++round) {
    const std::string reply = "agent reply number " + std::to_string(round) + ".";
    auto sent = Clock::now();
    const auto replied = agent_client.request("POST", path + "/reply", nlohmann::json{{"text", reply}}.dump(), agent);
    if (replied.status != 200) return fail("reply: " + replied.body);
    if (widget.wait_for(reply, std::chrono::seconds(5))) {
      to_visitor.add(millis_since(sent));
    } else {
      to_visitor.add_error();
    }
    const std::string message = "visitor message number " + std::to_string(round) + ".";
    sent = Clock::now();
    const auto written = visitor.request("POST", "/api/v1/bots/" + bot + "/chat",
                                         nlohmann::json{{"message", message}, {"visitor_token", token}}.dump(), json);
    if (written.status != 200) return fail("visitor message: " + written.body);
    if (inbox.wait_for(message, std::chrono::seconds(5))) {
      to_agent.add(millis_since(sent));
    } else {
      to_agent.add_error();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
  }
  report("agent on A -> visitor on B", to_visitor);
  report("visitor on B -> agent's inbox on A", to_agent);
  return 0;
}
