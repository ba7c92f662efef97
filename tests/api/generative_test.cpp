// Generative answers end to end over real sockets: two Parley instances, where B uses A's OpenAI-compatible API as
// its provider and A answers with the built-in engine running a real (tiny) GGUF model; and B against a loopback
// server replaying OpenAI's and Anthropic's wire formats with their faults.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "api/api.h"
#include "auth/api_keys.h"
#include "chat/bot_settings.h"
#include "http/server.h"
#include "llm/engine_provider.h"
#include "llm/remote_provider.h"
#include "llm/routing.h"
#include "support/engine_registry.h"
#include "support/fake_provider.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

namespace parley::api {
namespace {

using parley::testing::engine_registry;
using parley::testing::FakeProvider;
using parley::testing::HttpClient;
using parley::testing::HttpResult;
using parley::testing::ProviderBehaviour;
using ::testing::HasSubstr;

constexpr const char* kGuide =
    "# Returns policy\n\n## Time limit\n\nReturns are accepted within 30 days of delivery. Items must be unused and "
    "in their original packaging.\n\n## Refunds\n\nRefunds reach the original payment method within 5 business days "
    "after the parcel arrives.\n";

// One Parley: a store with a workspace, its key and a bot holding the returns guide, served on a free port.
class Instance {
 public:
  explicit Instance(std::shared_ptr<llm::ProviderRegistry> providers) {
    store_ = std::move(store::open_store({dir_.file("parley.db")})).value();
    EXPECT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto workspace, tx.create_workspace("W"));
      PARLEY_ASSIGN_OR_RETURN(auto key, auth::issue_api_key(tx, workspace.id, "k", store::Role::owner));
      key_ = key.key;
      return {};
    }).ok());
    ApiOptions options;
    options.providers = std::move(providers);
    context_ = std::make_unique<ApiContext>(*store_, options);
    register_routes(router_, *context_);
    http::ServerOptions server_options;
    server_options.port = 0;
    server_ = std::make_unique<http::Server>(server_options, router_);
    EXPECT_TRUE(server_->listen().ok());
    server_->start();
    client_ = std::make_unique<HttpClient>(server_->port());
    bot_ = make_bot();
  }
  ~Instance() { server_->stop(); }

  std::map<std::string, std::string> auth() const {
    return {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}};
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/v1"; }
  const std::string& key() const { return key_; }
  const std::string& bot() const { return bot_; }
  HttpClient& client() { return *client_; }

  void set_routing(const nlohmann::json& routing) {
    const auto result = client_->request("PATCH", "/api/v1/bots/" + bot_,
                                         nlohmann::json{{"settings", {{"routing", routing}}}}.dump(), auth());
    ASSERT_EQ(result.status, 200) << result.body;
  }
  HttpResult chat(const std::string& message, bool stream = false) {
    std::map<std::string, std::string> headers = {{"Content-Type", "application/json"}};
    if (stream) headers["Accept"] = "text/event-stream";
    return client_->request("POST", "/api/v1/bots/" + bot_ + "/chat", nlohmann::json{{"message", message}}.dump(), headers);
  }

 private:
  std::string make_bot() {
    auto created = client_->request("POST", "/api/v1/bots", nlohmann::json{{"name", "Shop"}}.dump(), auth());
    EXPECT_EQ(created.status, 201) << created.body;
    const std::string id = created.json().value("id", "");
    const std::string body = "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"returns.md\"\r\n\r\n" +
                             std::string(kGuide) + "\r\n--B--\r\n";
    auto headers = auth();
    headers["Content-Type"] = "multipart/form-data; boundary=B";
    const auto uploaded = client_->request("POST", "/api/v1/bots/" + id + "/sources", body, headers);
    EXPECT_EQ(uploaded.status, 201) << uploaded.body;
    return id;
  }

  parley::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ApiContext> context_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<HttpClient> client_;
  std::string key_;
  std::string bot_;
};

std::shared_ptr<llm::ProviderRegistry> remote_registry(const std::vector<llm::RemoteProviderConfig>& configs) {
  auto registry = std::make_shared<llm::ProviderRegistry>();
  for (const auto& config : configs) {
    llm::ResilienceOptions resilience;
    resilience.retry.max_attempts = 1;  // faults go straight to the next route
    registry->add(std::make_shared<llm::RemoteProvider>(config),
                  {config.name, config.format == llm::WireFormat::openai ? "openai" : "anthropic", config.default_model,
                   false, config.input_price_per_mtok, config.output_price_per_mtok},
                  resilience);
  }
  return registry;
}

llm::RemoteProviderConfig remote(std::string name, std::string base_url, std::string key, std::string model,
                                 llm::WireFormat format = llm::WireFormat::openai) {
  llm::RemoteProviderConfig config;
  config.name = std::move(name);
  config.format = format;
  config.base_url = std::move(base_url);
  config.api_key = std::move(key);
  config.default_model = std::move(model);
  config.input_price_per_mtok = 1.0;
  config.output_price_per_mtok = 2.0;
  config.timeouts.first_token = std::chrono::milliseconds(3000);
  config.timeouts.total = std::chrono::milliseconds(10000);
  return config;
}

std::string concatenated_deltas(const std::vector<parley::testing::SseEvent>& events) {
  std::string text;
  for (const auto& event : events) {
    if (event.name == "reset") text.clear();
    if (event.name == "delta") text += event.data.value("text", "");
  }
  return text;
}

const parley::testing::SseEvent* find_event(const std::vector<parley::testing::SseEvent>& events, const std::string& name) {
  for (const auto& event : events) {
    if (event.name == name) return &event;
  }
  return nullptr;
}

TEST(Generative, ParleyUsesAnotherParleyAsItsOpenAiCompatibleProvider) {
  Instance a(engine_registry());
  Instance b(remote_registry({remote("parley-a", a.base_url(), a.key(), "local")}));
  b.set_routing({{"mode", "remote-only"}, {"remote", "parley-a"}, {"max_tokens", 12}, {"temperature", 0}});

  // A's models: its bot and its engine.
  const auto models = a.client().request("GET", "/v1/models", "", a.auth());
  ASSERT_EQ(models.status, 200) << models.body;
  std::vector<std::string> ids;
  const auto listed = models.json();
  for (const auto& model : listed["data"]) ids.push_back(model["id"]);
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre("bot:" + a.bot(), "local")) << models.body;

  const auto reply = b.chat("How long do I have to return an item?");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const auto json = reply.json();
  EXPECT_EQ(json["mode"], "generative") << reply.body;
  EXPECT_FALSE(json["answer"].get<std::string>().empty());
  EXPECT_EQ(json["generation"]["provider"], "parley-a");
  EXPECT_EQ(json["generation"]["model"], "local");
  // A's engine counted the grounded prompt and generated at most max_tokens tokens.
  EXPECT_GT(json["generation"]["prompt_tokens"].get<int>(), 50);
  EXPECT_GE(json["generation"]["completion_tokens"].get<int>(), 1);
  EXPECT_LE(json["generation"]["completion_tokens"].get<int>(), 12);
  EXPECT_EQ(json["generation"]["routing"]["steps"][0]["reason"], "remote-only policy");

  // Streamed: deltas add up to the recorded answer.
  const auto streamed = b.chat("When do refunds arrive?", true);
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  const auto events = parley::testing::parse_sse(streamed.body);
  const auto* done = find_event(events, "done");
  ASSERT_NE(done, nullptr) << streamed.body;
  EXPECT_EQ(done->data["mode"], "generative");
  EXPECT_FALSE(concatenated_deltas(events).empty());

  // Usage accounting on B: two generations by parley-a, with their tokens and cost at B's prices.
  const auto usage = b.client().request("GET", "/api/v1/usage", "", b.auth());
  ASSERT_EQ(usage.status, 200) << usage.body;
  const auto totals = usage.json()["totals"];
  EXPECT_EQ(totals["requests"], 2);
  EXPECT_EQ(totals["failures"], 0);
  EXPECT_GT(totals["completion_tokens"].get<int>(), 0);
  EXPECT_GT(totals["cost_usd"].get<double>(), 0.0);
  EXPECT_EQ(usage.json()["items"][0]["provider"], "parley-a");
}

TEST(Generative, OpenAiCompatibleEndpointStreamsInTheOpenAiFormat) {
  Instance a(engine_registry());
  const nlohmann::json request = {{"model", "local"},
                                  {"messages", {{{"role", "user"}, {"content", "Say hello."}}}},
                                  {"max_tokens", 6},
                                  {"temperature", 0},
                                  {"stream", true},
                                  {"stream_options", {{"include_usage", true}}}};
  const auto streamed = a.client().request("POST", "/v1/chat/completions", request.dump(), a.auth());
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_THAT(streamed.headers.at("Content-Type"), HasSubstr("text/event-stream"));
  // Every event is a bare `data:` line (no event name), ending with [DONE].
  EXPECT_EQ(streamed.body.find("event:"), std::string::npos);
  EXPECT_THAT(streamed.body, ::testing::EndsWith("data: [DONE]\n\n"));
  std::string text;
  nlohmann::json usage;
  for (const auto& event : parley::testing::parse_sse(streamed.body)) {
    if (event.data.is_discarded() || !event.data.is_object()) continue;
    EXPECT_EQ(event.data["object"], "chat.completion.chunk");
    for (const auto& choice : event.data["choices"]) text += choice["delta"].value("content", "");
    if (event.data.contains("usage")) usage = event.data["usage"];
  }
  EXPECT_EQ(usage["completion_tokens"], 6);

  // The same request without streaming gives the same text (greedy decoding).
  auto plain = request;
  plain["stream"] = false;
  const auto completed = a.client().request("POST", "/v1/chat/completions", plain.dump(), a.auth());
  ASSERT_EQ(completed.status, 200) << completed.body;
  const auto body = completed.json();
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["choices"][0]["message"]["content"], text);
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(body["usage"]["total_tokens"], body["usage"]["prompt_tokens"].get<int>() + 6);

  // Errors in OpenAI's shape; no key, no answer.
  const auto unknown = a.client().request("POST", "/v1/chat/completions",
                                          nlohmann::json{{"model", "nope"}, {"messages", request["messages"]}}.dump(), a.auth());
  EXPECT_EQ(unknown.status, 404);
  EXPECT_THAT(unknown.json()["error"]["message"].get<std::string>(), HasSubstr("nope"));
  const auto bad = a.client().request("POST", "/v1/chat/completions", R"({"model":"local","messages":[]})", a.auth());
  EXPECT_EQ(bad.status, 400);
  const auto anonymous = a.client().request("POST", "/v1/chat/completions", plain.dump(), {{"Content-Type", "application/json"}});
  EXPECT_EQ(anonymous.status, 401);
}

TEST(Generative, BotModelRunsTheGroundedPipelineThroughTheApi) {
  FakeProvider fake;
  fake.set(ProviderBehaviour::answer, "Returns are accepted within 30 days of delivery [1].");
  Instance b(remote_registry({remote("openai", fake.base_url(), "sk-test", "gpt-test")}));
  b.set_routing({{"mode", "remote-only"}, {"remote", "openai"}});
  const nlohmann::json request = {{"model", "bot:" + b.bot()},
                                  {"messages", {{{"role", "user"}, {"content", "How long do I have to return an item?"}}}}};
  const auto completed = b.client().request("POST", "/v1/chat/completions", request.dump(), b.auth());
  ASSERT_EQ(completed.status, 200) << completed.body;
  const auto body = completed.json();
  EXPECT_EQ(body["choices"][0]["message"]["content"], "Returns are accepted within 30 days of delivery [1].");
  EXPECT_EQ(body["parley"]["mode"], "generative");
  // The citation [1] maps to the returns guide.
  ASSERT_EQ(body["parley"]["sources"].size(), 1u);
  EXPECT_THAT(body["parley"]["sources"][0]["title"].get<std::string>(), HasSubstr("Returns policy"));
  EXPECT_EQ(body["usage"]["prompt_tokens"], 42);

  // The provider saw the grounded prompt: the passages as data, the visitor's question last, the key as bearer.
  const auto seen = fake.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].authorization, "Bearer sk-test");
  const std::string prompt = seen[0].body["messages"].dump();
  EXPECT_THAT(prompt, HasSubstr("<passage"));
  EXPECT_THAT(prompt, HasSubstr("30 days of delivery"));
  EXPECT_THAT(prompt, HasSubstr("How long do I have to return an item?"));
}

TEST(Generative, FaultsFallBackToTheNextRouteAndFinallyToTheExtractiveAnswer) {
  FakeProvider broken;
  FakeProvider healthy;
  healthy.set(ProviderBehaviour::answer, "You can return items within 30 days [1].");
  Instance b(remote_registry({remote("broken", broken.base_url(), "k1", "m1"),
                              remote("claude", healthy.base_url(), "k2", "claude-test", llm::WireFormat::anthropic)}));
  b.set_routing({{"mode", "local-first"}, {"local", "broken"}, {"remote", "claude"}});

  for (const auto fault : {ProviderBehaviour::http_500, ProviderBehaviour::rate_limited,
                           ProviderBehaviour::wrong_content_type, ProviderBehaviour::malformed_event}) {
    broken.set(fault);
    const auto reply = b.chat("How long do I have to return an item?");
    ASSERT_EQ(reply.status, 200) << reply.body;
    const auto json = reply.json();
    EXPECT_EQ(json["mode"], "generative") << static_cast<int>(fault) << " " << reply.body;
    EXPECT_EQ(json["answer"], "You can return items within 30 days [1].");
    EXPECT_EQ(json["generation"]["provider"], "claude");
    const auto attempts = json["generation"]["routing"]["attempts"];
    ASSERT_EQ(attempts.size(), 2u) << reply.body;
    EXPECT_EQ(attempts[0]["outcome"], "failed");
  }

  // A stream that stops mid-answer: the visitor's partial text is withdrawn (reset), the next route answers.
  broken.set(ProviderBehaviour::stops_mid_answer, "Returns are accepted within thirty days of delivery, unused.");
  const auto streamed = b.chat("How long do I have to return an item?", true);
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  const auto events = parley::testing::parse_sse(streamed.body);
  EXPECT_NE(find_event(events, "reset"), nullptr) << streamed.body;
  EXPECT_EQ(concatenated_deltas(events), "You can return items within 30 days [1].");

  // Every route failing: the answer without a model stands, exactly as with routing off.
  healthy.set(ProviderBehaviour::http_500);
  broken.set(ProviderBehaviour::http_500);
  const auto without_model = b.chat("How long do I have to return an item?");
  ASSERT_EQ(without_model.status, 200) << without_model.body;
  EXPECT_EQ(without_model.json()["generation"]["routing"]["result"], "extractive: every route failed")
      << without_model.body;
  b.set_routing({{"mode", "off"}});
  const auto routing_off = b.chat("How long do I have to return an item?");
  EXPECT_EQ(without_model.json()["mode"], routing_off.json()["mode"]);
  EXPECT_EQ(without_model.json()["answer"], routing_off.json()["answer"]);

  // The failed attempts are in the usage figures.
  const auto usage = b.client().request("GET", "/api/v1/usage", "", b.auth());
  ASSERT_EQ(usage.status, 200) << usage.body;
  EXPECT_GE(usage.json()["totals"]["failures"].get<int>(), 6);
}

TEST(Generative, AModelThatDeclinesBecomesTheFallbackAndCuratedAnswersNeedNoModel) {
  FakeProvider fake;
  fake.set(ProviderBehaviour::answer, "NO_ANSWER");
  Instance b(remote_registry({remote("openai", fake.base_url(), "k", "m")}));
  b.set_routing({{"mode", "remote-only"}, {"remote", "openai"}});
  const auto streamed = b.chat("How long do I have to return an item?", true);
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  const auto events = parley::testing::parse_sse(streamed.body);
  // The marker never reaches the visitor.
  EXPECT_EQ(streamed.body.find("NO_ANSWER"), std::string::npos);
  ASSERT_NE(find_event(events, "done"), nullptr);
  EXPECT_EQ(find_event(events, "done")->data["mode"], "fallback");
  EXPECT_THAT(concatenated_deltas(events), HasSubstr("connect you with a person"));
}

TEST(Generative, AnAnswerLeakingThePromptIsWithdrawnAndPersonalDataStaysLocal) {
  FakeProvider leaky;
  FakeProvider healthy;
  leaky.set(ProviderBehaviour::echo_system);
  healthy.set(ProviderBehaviour::answer, "Returns are accepted within 30 days [1].");
  Instance b(remote_registry({remote("leaky", leaky.base_url(), "k1", "m1"), remote("healthy", healthy.base_url(), "k2", "m2")}));
  b.set_routing({{"mode", "local-first"}, {"local", "leaky"}, {"remote", "healthy"}, {"redact_pii", true}});

  const auto streamed = b.chat("I am jane.doe@example.com, call +1 415 555 2671: how long do I have to return an item?", true);
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  // The leaked system prompt (with its canary) never reaches the visitor; the next route answers.
  EXPECT_EQ(streamed.body.find("canary-"), std::string::npos) << streamed.body;
  EXPECT_EQ(streamed.body.find("Rules:"), std::string::npos) << streamed.body;
  const auto events = parley::testing::parse_sse(streamed.body);
  EXPECT_EQ(concatenated_deltas(events), "Returns are accepted within 30 days [1].");
  const auto* done = find_event(events, "done");
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->data["generation"]["routing"]["attempts"][0]["outcome"], "leaked");

  // Neither remote provider saw the visitor's email or phone number.
  for (auto* provider : {&leaky, &healthy}) {
    const auto seen = provider->requests();
    ASSERT_FALSE(seen.empty());
    const std::string prompt = seen.back().body["messages"].dump();
    EXPECT_EQ(prompt.find("jane.doe@example.com"), std::string::npos) << prompt;
    EXPECT_EQ(prompt.find("555 2671"), std::string::npos) << prompt;
    EXPECT_THAT(prompt, HasSubstr("how long do I have to return an item?"));
  }
}

// The bot builder shows the server's own defaults for the settings a bot leaves out (so saving the form never writes
// other values into it), and the providers it can route to.
TEST(Generative, BotBuilderGetsTheServersDefaultsAndProviders) {
  FakeProvider fake;
  auto config = remote("claude", fake.base_url(), "sk-secret-key", "claude-test", llm::WireFormat::anthropic);
  Instance b(remote_registry({config, remote("openai", fake.base_url(), "sk-other", "gpt-test")}));
  // Settings of this bot must not leak into the defaults.
  const auto patched = b.client().request(
      "PATCH", "/api/v1/bots/" + b.bot(),
      nlohmann::json{{"settings", {{"faq_threshold", 0.9}, {"routing", {{"mode", "remote-only"}, {"remote", "openai"}, {"max_tokens", 50}}}}}}.dump(),
      b.auth());
  ASSERT_EQ(patched.status, 200) << patched.body;

  const auto result = b.client().request("GET", "/api/v1/bots/" + b.bot() + "/widget", "", b.auth());
  ASSERT_EQ(result.status, 200) << result.body;
  const auto body = result.json();
  const chat::BotSettings bot_defaults;
  EXPECT_DOUBLE_EQ(body["answering_defaults"]["faq_threshold"].get<double>(), bot_defaults.faq_threshold);
  EXPECT_DOUBLE_EQ(body["answering_defaults"]["answer_threshold"].get<double>(), bot_defaults.answer_threshold);
  EXPECT_EQ(body["answering_defaults"]["max_sources"].get<int>(), bot_defaults.max_sources);
  // Pinned too, so that a change of the shipped defaults is a visible decision here as well.
  EXPECT_DOUBLE_EQ(body["answering_defaults"]["faq_threshold"].get<double>(), 0.4);
  EXPECT_DOUBLE_EQ(body["answering_defaults"]["answer_threshold"].get<double>(), 0.38);

  const llm::RoutingPolicy routing_defaults;
  const auto& routing = body["routing_defaults"];
  EXPECT_EQ(routing["mode"], "off");
  EXPECT_EQ(routing["local"], routing_defaults.local);
  EXPECT_EQ(routing["max_tokens"].get<int>(), routing_defaults.max_tokens);
  EXPECT_DOUBLE_EQ(routing["temperature"].get<double>(), routing_defaults.temperature);
  EXPECT_EQ(routing["spill_after_ms"].get<long long>(), routing_defaults.spill_after.count());
  EXPECT_FALSE(routing["redact_pii"].get<bool>());

  // The registry's providers, by name (sorted), without keys or addresses.
  ASSERT_EQ(body["providers"].size(), 2u) << body.dump();
  EXPECT_EQ(body["providers"][0], (nlohmann::json{{"name", "claude"}, {"kind", "anthropic"}, {"model", "claude-test"}, {"local", false}}));
  EXPECT_EQ(body["providers"][1], (nlohmann::json{{"name", "openai"}, {"kind", "openai"}, {"model", "gpt-test"}, {"local", false}}));
  EXPECT_EQ(result.body.find("sk-secret-key"), std::string::npos);
  EXPECT_EQ(result.body.find(fake.base_url()), std::string::npos);

  // Without a key: refused.
  EXPECT_EQ(b.client().request("GET", "/api/v1/bots/" + b.bot() + "/widget").status, 401);
}

// The value of `series` (exactly as rendered) in a scrape of GET /metrics, or 0 when absent.
double metric(HttpClient& client, const std::string& series) {
  std::istringstream lines(client.request("GET", "/metrics").body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return 0;
}

// A turn's request id reaches the provider, and the provider's figures reach GET /metrics.
TEST(Generative, TheRequestIdGoesUpstreamAndTheProvidersFiguresAreCounted) {
  FakeProvider fake;
  fake.set(ProviderBehaviour::answer, "You can return items within 30 days [1].");
  Instance b(remote_registry({remote("counted", fake.base_url(), "k", "m")}));
  b.set_routing({{"mode", "remote-only"}, {"remote", "counted"}});
  const double completions = metric(b.client(), "parley_provider_tokens_total{provider=\"counted\",kind=\"completion\"}");
  const auto reply = b.client().request("POST", "/api/v1/bots/" + b.bot() + "/chat",
                                        R"({"message":"How long do I have to return an item?"})",
                                        {{"Content-Type", "application/json"}, {"X-Request-Id", "turn-upstream-1"}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json()["mode"], "generative");
  ASSERT_EQ(fake.requests().size(), 1u);
  EXPECT_EQ(fake.requests()[0].request_id, "turn-upstream-1");
  EXPECT_GT(metric(b.client(), "parley_provider_tokens_total{provider=\"counted\",kind=\"completion\"}"), completions);
  EXPECT_GE(metric(b.client(), "parley_first_token_seconds_count{provider=\"counted\"}"), 1);
  EXPECT_GE(metric(b.client(), "parley_model_queue_wait_seconds_count{provider=\"counted\"}"), 1);
  EXPECT_EQ(metric(b.client(), "parley_answers_total{bot=\"" + b.bot() + "\",mode=\"generative\"}"), 1);
  EXPECT_EQ(metric(b.client(), "parley_provider_breaker_state{provider=\"counted\",state=\"closed\"}"), 1);
  fake.set(ProviderBehaviour::http_500);
  const double errors = metric(b.client(), "parley_provider_errors_total{provider=\"counted\",code=\"unavailable\"}");
  // The answer without a model (whatever mode the bot's knowledge gives it) stands; the error is counted.
  EXPECT_NE(b.chat("How long do I have to return an item?").json()["mode"], "generative");
  EXPECT_EQ(metric(b.client(), "parley_provider_errors_total{provider=\"counted\",code=\"unavailable\"}"), errors + 1);
}

// The overload ladder's model rung: a route whose queue wait would exceed the bot's bound is skipped, and with no
// route left the visitor gets the extractive answer at once instead of waiting.
TEST(Generative, ARouteOverItsQueueBoundSpillsToTheExtractiveAnswer) {
  FakeProvider slow;
  slow.set(ProviderBehaviour::slow_first_token, "You can return items within 30 days [1].", std::chrono::milliseconds(1500));
  auto registry = std::make_shared<llm::ProviderRegistry>();
  llm::ResilienceOptions one_at_a_time;
  one_at_a_time.max_concurrency = 1;
  one_at_a_time.retry.max_attempts = 1;
  registry->add(std::make_shared<llm::RemoteProvider>(remote("single", slow.base_url(), "k", "m")),
                {"single", "openai", "m", false, 0, 0}, one_at_a_time);
  Instance b(registry);
  b.set_routing({{"mode", "remote-only"}, {"remote", "single"}, {"spill_after_ms", 200}});
  const double spills = metric(b.client(), "parley_overload_spills_total{to=\"extractive\"}");
  // The first turn holds the provider's only slot for 1.5 s...
  std::thread first([&] {
    HttpClient client(b.client().port());
    EXPECT_EQ(client.request("POST", "/api/v1/bots/" + b.bot() + "/chat", R"({"message":"How long do I have to return an item?"})",
                             {{"Content-Type", "application/json"}}).json()["mode"], "generative");
  });
  while (slow.requests().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // ...so a second would wait ~1 s (the provider's expected generation time) > 200 ms: the answer without a model
  // (extractive or the fallback, as with routing off), now.
  const auto started = std::chrono::steady_clock::now();
  const auto second = b.chat("How long do I have to return an item?");
  const auto took = std::chrono::steady_clock::now() - started;
  first.join();
  ASSERT_EQ(second.status, 200);
  EXPECT_NE(second.json()["mode"], "generative");
  EXPECT_LT(took, std::chrono::milliseconds(1000));
  EXPECT_EQ(slow.requests().size(), 1u);
  EXPECT_EQ(metric(b.client(), "parley_overload_spills_total{to=\"extractive\"}"), spills + 1);
}

}  // namespace
}  // namespace parley::api
