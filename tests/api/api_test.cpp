// The REST API end to end: a real server on a real socket, a real SQLite file, the real answer pipeline.
#include "api/api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auth/api_keys.h"
#include "http/server.h"
#include "support/http_client.h"
#include "support/temp_dir.h"
#include "support/test_store.h"

namespace parley::api {
namespace {

using parley::testing::HttpClient;
using parley::testing::parse_sse;
using ::testing::HasSubstr;

constexpr const char* kGuide =
    "# Shipping guide\n\n## Delivery times\n\nStandard parcels arrive within 3 to 5 business days. Bikes ship within 2 "
    "business days.\n\n## Costs\n\nShipping is free on orders over $75. Otherwise standard shipping costs $7.95.\n";
constexpr const char* kFaq =
    "question,answer,category\n"
    "How do I reset my password?,\"Click 'Forgot password' on the sign-in page and follow the email link.\",account\n"
    "What are your opening hours?,\"We are open Monday to Friday, 9am to 6pm.\",stores\n";

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = parley::testing::open_test_store(parley::testing::test_store_options(dir_));
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto a, tx.create_workspace("A"));
      PARLEY_ASSIGN_OR_RETURN(auto b, tx.create_workspace("B"));
      PARLEY_ASSIGN_OR_RETURN(auto key_a, auth::issue_api_key(tx, a.id, "a", store::Role::owner));
      PARLEY_ASSIGN_OR_RETURN(auto key_b, auth::issue_api_key(tx, b.id, "b", store::Role::owner));
      key_a_ = key_a.key;
      key_b_ = key_b.key;
      return {};
    }).ok());
    ApiOptions options;
    options.max_upload_bytes = 1 << 20;
    configure(options);
    context_ = std::make_unique<ApiContext>(*store_, options);
    register_routes(router_, *context_);
    http::ServerOptions server_options;
    server_options.port = 0;
    server_ = std::make_unique<http::Server>(server_options, router_);
    ASSERT_TRUE(server_->listen().ok());
    server_->start();
    client_ = std::make_unique<HttpClient>(server_->port());
  }
  void TearDown() override { server_->stop(); }
  virtual void configure(ApiOptions& /*options*/) {}

  std::map<std::string, std::string> auth(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

  std::string create_bot(const std::string& key, const std::string& name = "Support") {
    const auto result = client_->request("POST", "/api/v1/bots", nlohmann::json{{"name", name}}.dump(),
                                         {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}});
    EXPECT_EQ(result.status, 201) << result.body;
    return result.json().value("id", "");
  }

  parley::testing::HttpResult upload_multipart(const std::string& bot, const std::string& name, const std::string& content) {
    const std::string body = "--BOUND\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name +
                             "\"\r\n\r\n" + content + "\r\n--BOUND--\r\n";
    auto headers = auth(key_a_);
    headers["Content-Type"] = "multipart/form-data; boundary=BOUND";
    return client_->request("POST", "/api/v1/bots/" + bot + "/sources", body, headers);
  }

  parley::testing::HttpResult chat(const std::string& bot, const nlohmann::json& body, bool stream = false) {
    std::map<std::string, std::string> headers = {{"Content-Type", "application/json"}};
    if (stream) headers["Accept"] = "text/event-stream";
    return client_->request("POST", "/api/v1/bots/" + bot + "/chat", body.dump(), headers);
  }

  parley::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ApiContext> context_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<HttpClient> client_;
  std::string key_a_, key_b_;
};

TEST_F(ApiTest, HealthAndReadiness) {
  EXPECT_EQ(client_->request("GET", "/healthz").json()["status"], "ok");
  const auto ready = client_->request("GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.json()["status"], "ready");
}

TEST_F(ApiTest, AdminEndpointsNeedAValidKey) {
  EXPECT_EQ(client_->request("GET", "/api/v1/bots").status, 401);
  EXPECT_EQ(client_->request("GET", "/api/v1/bots", "", auth("pk_aaaaaaaa_" + std::string(32, 'a'))).status, 401);
  EXPECT_EQ(client_->request("GET", "/api/v1/bots", "", auth("garbage")).status, 401);
  std::string tampered = key_a_;
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(client_->request("GET", "/api/v1/bots", "", auth(tampered)).status, 401);
  EXPECT_EQ(client_->request("GET", "/api/v1/bots", "", {{"X-API-Key", key_a_}}).status, 200);
  const auto unauthorized = client_->request("GET", "/api/v1/bots");
  EXPECT_EQ(unauthorized.json()["error"]["code"], "unauthorized");
  EXPECT_EQ(unauthorized.headers.at("WWW-Authenticate"), "Bearer");
}

TEST_F(ApiTest, UploadAskAndConverseEndToEnd) {
  const std::string bot = create_bot(key_a_);
  const auto guide = upload_multipart(bot, "shipping.md", kGuide);
  ASSERT_EQ(guide.status, 201) << guide.body;
  EXPECT_EQ(guide.json()["sources"][0]["name"], "shipping.md");
  EXPECT_EQ(guide.json()["sources"][0]["chunk_count"], 2);
  auto raw_headers = auth(key_a_);
  raw_headers["Content-Type"] = "text/csv";
  const auto faq = client_->request("POST", "/api/v1/bots/" + bot + "/sources?name=faq.csv", kFaq, raw_headers);
  ASSERT_EQ(faq.status, 201) << faq.body;

  // A curated question, reworded: the curated answer comes back verbatim.
  const auto curated = chat(bot, {{"message", "how can I reset my password"}});
  ASSERT_EQ(curated.status, 200) << curated.body;
  EXPECT_EQ(curated.json()["mode"], "faq");
  EXPECT_EQ(curated.json()["answer"], "Click 'Forgot password' on the sign-in page and follow the email link.");
  EXPECT_EQ(curated.json()["sources"][0]["url"], "faq.csv");
  // No Origin header (server-to-server): answered, without CORS headers (tests/web covers the allowed origins).
  EXPECT_FALSE(curated.headers.contains("Access-Control-Allow-Origin"));

  // A question the pages answer: an extractive answer citing the page and its section.
  const auto extractive = chat(bot, {{"message", "How much does shipping cost?"}});
  ASSERT_EQ(extractive.status, 200);
  const auto body = extractive.json();
  EXPECT_EQ(body["mode"], "extractive");
  EXPECT_THAT(body["answer"].get<std::string>(), HasSubstr("$7.95"));
  EXPECT_EQ(body["sources"][0]["url"], "shipping.md");
  EXPECT_THAT(body["sources"][0]["title"].get<std::string>(), HasSubstr("Costs"));
  const std::string conversation = body["conversation_id"];

  // Nothing in the knowledge: the bot declines and offers a person.
  const auto unknown = chat(bot, {{"message", "Do you sell electric scooters?"}, {"conversation_id", conversation}});
  ASSERT_EQ(unknown.status, 200);
  EXPECT_EQ(unknown.json()["mode"], "fallback");
  EXPECT_TRUE(unknown.json()["sources"].empty());
  EXPECT_EQ(unknown.json()["conversation_id"], conversation);

  // Streaming: deltas concatenate to the answer, then sources, then done.
  const auto streamed = chat(bot, {{"message", "When do bikes ship?"}, {"conversation_id", conversation}}, true);
  ASSERT_EQ(streamed.status, 200);
  EXPECT_EQ(streamed.headers.at("Content-Type"), "text/event-stream");
  const auto events = parse_sse(streamed.body);
  ASSERT_GE(events.size(), 3u);
  std::string text;
  std::size_t i = 0;
  for (; i < events.size() && events[i].name == "delta"; ++i) text += events[i].data["text"].get<std::string>();
  EXPECT_THAT(text, HasSubstr("Bikes ship within 2 business days."));
  ASSERT_EQ(events[i].name, "sources");
  EXPECT_EQ(events[i].data["sources"][0]["url"], "shipping.md");
  ASSERT_EQ(events[i + 1].name, "done");
  EXPECT_EQ(events[i + 1].data["mode"], "extractive");
  EXPECT_EQ(events[i + 1].data["conversation_id"], conversation);

  // The business sees the conversation with every message, mode and source.
  const auto list = client_->request("GET", "/api/v1/bots/" + bot + "/conversations", "", auth(key_a_));
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json()["conversations"].size(), 2u);  // the curated question opened its own
  EXPECT_EQ(list.json()["conversations"][0]["id"], conversation);  // newest first
  EXPECT_EQ(list.json()["conversations"][0]["message_count"], 6);
  const auto transcript = client_->request("GET", "/api/v1/bots/" + bot + "/conversations/" + conversation, "", auth(key_a_));
  ASSERT_EQ(transcript.status, 200);
  const auto messages = transcript.json()["messages"];
  ASSERT_EQ(messages.size(), 6u);
  EXPECT_EQ(messages[0]["role"], "user");
  EXPECT_EQ(messages[1]["role"], "assistant");
  EXPECT_EQ(messages[1]["mode"], "extractive");
  EXPECT_EQ(messages[3]["mode"], "fallback");
  EXPECT_EQ(messages[5]["sources"][0]["url"], "shipping.md");
}

TEST_F(ApiTest, ReplacingAndDeletingSourcesChangesAnswers) {
  const std::string bot = create_bot(key_a_);
  ASSERT_EQ(upload_multipart(bot, "hours.md", "# Hours\n\nWe are open on Sundays from 10am.\n").status, 201);
  EXPECT_EQ(chat(bot, {{"message", "Are you open on Sundays?"}}).json()["mode"], "extractive");
  const auto same = upload_multipart(bot, "hours.md", "# Hours\n\nWe are open on Sundays from 10am.\n");
  EXPECT_EQ(same.status, 200);
  EXPECT_EQ(same.json()["sources"][0]["unchanged"], true);
  ASSERT_EQ(upload_multipart(bot, "hours.md", "# Hours\n\nWe are closed every weekend.\n").status, 201);
  EXPECT_EQ(chat(bot, {{"message", "Are you open on Sundays?"}}).json()["mode"], "fallback");
  const auto sources = client_->request("GET", "/api/v1/bots/" + bot + "/sources", "", auth(key_a_)).json()["sources"];
  ASSERT_EQ(sources.size(), 1u);
  const std::string source_id = sources[0]["id"];
  EXPECT_EQ(client_->request("GET", "/api/v1/bots/" + bot + "/sources/" + source_id + "/documents", "", auth(key_a_))
                .json()["documents"][0]["uri"],
            "hours.md");
  EXPECT_EQ(client_->request("DELETE", "/api/v1/bots/" + bot + "/sources/" + source_id, "", auth(key_a_)).status, 204);
  EXPECT_EQ(chat(bot, {{"message", "Are you closed on the weekend?"}}).json()["mode"], "fallback");
  EXPECT_TRUE(client_->request("GET", "/api/v1/bots/" + bot + "/sources", "", auth(key_a_)).json()["sources"].empty());
}

TEST_F(ApiTest, BadInputGetsClearErrors) {
  const std::string bot = create_bot(key_a_);
  const auto expect_error = [](const parley::testing::HttpResult& result, int status, const std::string& code) {
    EXPECT_EQ(result.status, status) << result.body;
    EXPECT_EQ(result.json()["error"]["code"], code) << result.body;
    EXPECT_FALSE(result.json()["error"]["message"].get<std::string>().empty());
  };
  expect_error(client_->request("POST", "/api/v1/bots/" + bot + "/chat", "{not json", {}), 400, "invalid_json");
  expect_error(client_->request("POST", "/api/v1/bots/" + bot + "/chat", "{\"message\":\"\xFF\"}", {}), 400, "invalid_utf8");
  expect_error(chat(bot, {{"text", "hi"}}), 400, "invalid_request");
  expect_error(chat(bot, {{"message", 42}}), 400, "invalid_request");
  expect_error(chat(bot, {{"message", "   "}}), 400, "invalid_request");
  expect_error(chat(bot, {{"message", std::string(5000, 'x')}}), 413, "payload_too_large");
  expect_error(chat("bot_doesnotexist00000000", {{"message", "hi"}}), 404, "not_found");
  expect_error(chat(bot, {{"message", "hi"}, {"conversation_id", "conv_other"}}), 404, "not_found");
  expect_error(client_->request("POST", "/api/v1/bots/" + bot + "/chat", std::string(100000, ' '), {}), 413, "payload_too_large");
  expect_error(upload_multipart(bot, "photo.png", "\x89PNG"), 415, "unsupported_media_type");
  expect_error(upload_multipart(bot, "empty.md", ""), 422, "unprocessable");
  expect_error(client_->request("POST", "/api/v1/bots", "{\"name\": 5}", auth(key_a_)), 400, "invalid_request");
  expect_error(client_->request("PATCH", "/api/v1/bots/" + bot, "{\"settings\": {\"faq_threshold\": 7}}", auth(key_a_)), 400,
               "invalid_request");
  expect_error(client_->request("GET", "/api/v1/nothing"), 404, "not_found");
  expect_error(client_->request("PUT", "/api/v1/bots/" + bot + "/chat"), 405, "method_not_allowed");
  // The server is still fine.
  EXPECT_EQ(chat(bot, {{"message", "hello there"}}).status, 200);
}

TEST_F(ApiTest, BotSettingsAreMergedAndValidated) {
  const std::string bot = create_bot(key_a_);
  const auto patched = client_->request("PATCH", "/api/v1/bots/" + bot,
                                        R"({"name":"Renamed","settings":{"fallback_message":"Ask a human!","custom":1}})",
                                        auth(key_a_));
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json()["name"], "Renamed");
  EXPECT_EQ(chat(bot, {{"message", "anything at all?"}}).json()["answer"], "Ask a human!");
  const auto removed = client_->request("PATCH", "/api/v1/bots/" + bot, R"({"settings":{"custom":null}})", auth(key_a_));
  EXPECT_FALSE(removed.json()["settings"].contains("custom"));
  EXPECT_EQ(removed.json()["settings"]["fallback_message"], "Ask a human!");
}

TEST_F(ApiTest, WorkspacesAreIsolated) {
  const std::string bot = create_bot(key_a_, "A's bot");
  ASSERT_EQ(upload_multipart(bot, "secret.md", "# Secret\n\nThe marker phrase is zebra-omega-7.\n").status, 201);
  const auto b_headers = auth(key_b_);
  EXPECT_TRUE(client_->request("GET", "/api/v1/bots", "", b_headers).json()["bots"].empty());
  EXPECT_EQ(client_->request("GET", "/api/v1/bots/" + bot, "", b_headers).status, 404);
  EXPECT_EQ(client_->request("GET", "/api/v1/bots/" + bot + "/sources", "", b_headers).status, 404);
  EXPECT_EQ(client_->request("GET", "/api/v1/bots/" + bot + "/conversations", "", b_headers).status, 404);
  EXPECT_EQ(client_->request("DELETE", "/api/v1/bots/" + bot, "", b_headers).status, 404);
  EXPECT_EQ(client_->request("PATCH", "/api/v1/bots/" + bot, R"({"name":"hijacked"})", b_headers).status, 404);
  auto upload_headers = b_headers;
  upload_headers["Content-Type"] = "text/markdown";
  EXPECT_EQ(client_->request("POST", "/api/v1/bots/" + bot + "/sources?name=x.md", "# x\n\ninjected", upload_headers).status, 404);
  // A's bot still answers from A's content only, and B's bot knows nothing of it.
  const std::string b_bot = create_bot(key_b_, "B's bot");
  EXPECT_EQ(chat(b_bot, {{"message", "What is the marker phrase?"}}).json()["mode"], "fallback");
  EXPECT_THAT(chat(bot, {{"message", "What is the marker phrase?"}}).json()["answer"].get<std::string>(), HasSubstr("zebra"));
}

class ApiBotQuotaTest : public ApiTest {
 protected:
  void configure(ApiOptions& options) override { options.limits.max_bots_per_workspace = 2; }
};

TEST_F(ApiBotQuotaTest, AWorkspaceCreatesBotsUpToItsQuota) {
  create_bot(key_a_, "one");
  const std::string second = create_bot(key_a_, "two");
  const auto refused = client_->request("POST", "/api/v1/bots", R"({"name":"three"})",
                                        {{"Authorization", "Bearer " + key_a_}, {"Content-Type", "application/json"}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_THAT(refused.json()["error"]["message"].get<std::string>(), HasSubstr("limit of 2 bots"));
  // The quota is per workspace, and a deleted bot frees its place.
  create_bot(key_b_, "B's first");
  EXPECT_EQ(client_->request("DELETE", "/api/v1/bots/" + second, "", auth(key_a_)).status, 204);
  create_bot(key_a_, "three");
  EXPECT_EQ(client_->request("GET", "/api/v1/bots", "", auth(key_a_)).json()["bots"].size(), 2u);
}

// Learning from misses over HTTP: declined questions become suggestions; a bad answer is refused at its field with
// nothing stored or audited; a good one teaches the bot at once (and adds a test); curated pairs are listed, edited
// and deleted one by one.
TEST_F(ApiTest, SuggestionsAreAnsweredAndCuratedPairsEdited) {
  const std::string bot = create_bot(key_a_);
  ASSERT_EQ(upload_multipart(bot, "shipping.md", kGuide).status, 201);
  auto headers = auth(key_a_);
  headers["Content-Type"] = "application/json";
  const std::string base = "/api/v1/bots/" + bot;
  for (const char* question : {"Do you sell electric scooters?", "Electric scooters: do you sell them?", "Can I pay in bitcoin?"}) {
    const auto reply = chat(bot, {{"message", question}});
    ASSERT_EQ(reply.status, 200) << reply.body;
    ASSERT_EQ(reply.json()["mode"], "fallback") << question;
  }
  const auto listed = client_->request("GET", base + "/suggestions", "", auth(key_a_));
  ASSERT_EQ(listed.status, 200) << listed.body;
  const auto suggestions = listed.json()["suggestions"];
  ASSERT_EQ(suggestions.size(), 2u) << suggestions.dump();
  EXPECT_EQ(suggestions[0]["count"], 2);
  EXPECT_EQ(suggestions[0]["examples"].size(), 2u);
  EXPECT_EQ(suggestions[1]["question"], "Can I pay in bitcoin?");
  const std::string scooters = suggestions[0]["id"];

  const auto audit_count = [&] { return client_->request("GET", "/api/v1/audit", "", auth(key_a_)).json()["entries"].size(); };
  const auto audited_before = audit_count();
  const std::string answer_path = base + "/suggestions/" + scooters + "/answer";
  const auto empty = client_->request("POST", answer_path, R"({"answer":"  "})", headers);
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(empty.json()["error"]["field"], "answer");
  EXPECT_EQ(client_->request("POST", answer_path, R"({"question":"Scooters?"})", headers).json()["error"]["field"], "answer");
  EXPECT_EQ(client_->request("POST", answer_path, R"({"answer":"No.","test":"yes"})", headers).status, 400);
  const auto unknown = client_->request("POST", base + "/suggestions/sg_0000000000000000/answer", R"({"answer":"No."})", headers);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_THAT(unknown.json()["error"]["message"].get<std::string>(), HasSubstr("no such suggestion"));
  EXPECT_EQ(client_->request("POST", answer_path, R"({"answer":"No."})", auth(key_b_)).status, 404);
  EXPECT_EQ(client_->request("GET", base + "/suggestions", "", auth(key_b_)).status, 404);
  EXPECT_EQ(audit_count(), audited_before);
  EXPECT_TRUE(client_->request("GET", base + "/qa", "", auth(key_a_)).json()["pairs"].empty());

  const auto answered = client_->request(
      "POST", answer_path, R"({"answer":"We sell bikes only, no electric scooters.","test":true})", headers);
  ASSERT_EQ(answered.status, 201) << answered.body;
  EXPECT_EQ(answered.json()["suggestion_id"], scooters);
  EXPECT_EQ(answered.json()["test"]["expectations"]["source"], answered.json()["pair"]["uri"]);
  EXPECT_EQ(audit_count(), audited_before + 1);
  const auto after = client_->request("GET", base + "/suggestions", "", auth(key_a_)).json()["suggestions"];
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0]["question"], "Can I pay in bitcoin?");
  const auto taught = chat(bot, {{"message", "Do you sell electric scooters?"}});
  EXPECT_EQ(taught.json()["mode"], "faq");
  EXPECT_EQ(taught.json()["answer"], "We sell bikes only, no electric scooters.");
  EXPECT_EQ(client_->request("POST", answer_path, R"({"answer":"Again."})", headers).status, 404);
  EXPECT_EQ(client_->request("POST", base + "/tests/run", "", headers).json()["passed"], 1);

  // "Improve this answer": a pair typed for a question, with or without a suggestion.
  const auto typed = client_->request("POST", base + "/qa",
                                      R"({"question":"How fast is standard shipping?","answer":"3 to 5 business days."})", headers);
  ASSERT_EQ(typed.status, 201) << typed.body;
  EXPECT_TRUE(typed.json()["test"].is_null());
  EXPECT_TRUE(typed.json()["suggestion_id"].is_null());
  EXPECT_EQ(client_->request("POST", base + "/qa", R"({"question":"","answer":"x"})", headers).json()["error"]["field"], "question");
  const std::string pair = typed.json()["pair"]["id"];
  const auto pairs = client_->request("GET", base + "/qa", "", auth(key_a_)).json()["pairs"];
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[1]["id"], pair);

  const auto edited = client_->request("PATCH", base + "/qa/" + pair, R"({"answer":"Within 3 business days."})", headers);
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_EQ(edited.json()["question"], "How fast is standard shipping?");
  EXPECT_EQ(chat(bot, {{"message", "How fast is standard shipping?"}}).json()["answer"], "Within 3 business days.");
  const auto blank_edit = client_->request("PATCH", base + "/qa/" + pair, R"({"answer":""})", headers);
  EXPECT_EQ(blank_edit.status, 400);
  EXPECT_EQ(blank_edit.json()["error"]["field"], "answer");
  EXPECT_EQ(client_->request("PATCH", base + "/qa/" + pair, R"({})", headers).status, 400);
  EXPECT_EQ(client_->request("PATCH", base + "/qa/doc_unknown", R"({"answer":"x"})", headers).status, 404);
  EXPECT_EQ(client_->request("PATCH", base + "/qa/" + pair, R"({"answer":"x"})", auth(key_b_)).status, 404);

  EXPECT_EQ(client_->request("DELETE", base + "/qa/" + pair, "", auth(key_b_)).status, 404);
  EXPECT_EQ(client_->request("DELETE", base + "/qa/" + pair, "", headers).status, 204);
  EXPECT_EQ(client_->request("DELETE", base + "/qa/" + pair, "", headers).status, 404);
  EXPECT_EQ(client_->request("GET", base + "/qa", "", auth(key_a_)).json()["pairs"].size(), 1u);
  EXPECT_NE(chat(bot, {{"message", "How fast is standard shipping?"}}).json()["answer"], "Within 3 business days.");
}

TEST_F(ApiTest, ABotsTestSuiteIsEditedAuditedAndRun) {
  const std::string bot = create_bot(key_a_);
  ASSERT_EQ(upload_multipart(bot, "shipping.md", kGuide).status, 201);
  auto headers = auth(key_a_);
  headers["Content-Type"] = "application/json";
  const std::string tests = "/api/v1/bots/" + bot + "/tests";

  // Bad cases: a clear 4xx each, nothing stored, nothing audited.
  const auto audit_count = [&] { return client_->request("GET", "/api/v1/audit", "", auth(key_a_)).json()["entries"].size(); };
  const auto audited_before = audit_count();
  const auto no_expectation = client_->request("POST", tests, R"({"question":"How much is shipping?"})", headers);
  EXPECT_EQ(no_expectation.status, 400);
  EXPECT_THAT(no_expectation.json()["error"]["message"].get<std::string>(), HasSubstr("needs an expectation"));
  EXPECT_EQ(no_expectation.json()["error"]["field"], "expectations");  // where the admin app shows it
  const auto blank = client_->request("POST", tests, R"({"question":" ","expect_text":"x"})", headers);
  EXPECT_EQ(blank.status, 400);
  EXPECT_EQ(blank.json()["error"]["field"], "question");
  const auto long_phrase = client_->request("POST", tests, R"({"question":"Shipping?","expect_text":")" + std::string(501, 'x') + R"("})", headers);
  EXPECT_EQ(long_phrase.status, 413);
  EXPECT_EQ(long_phrase.json()["error"]["field"], "expect_text");
  EXPECT_EQ(client_->request("POST", tests, R"({"question":"Shipping?","expect_decline":"yes"})", headers).status, 400);
  EXPECT_EQ(client_->request("POST", tests, "[1,2]", headers).status, 400);
  EXPECT_EQ(client_->request("POST", "/api/v1/bots/bot_unknown/tests", R"({"question":"Shipping?","expect_decline":true})", headers).status, 404);
  EXPECT_EQ(client_->request("DELETE", tests + "/case_unknown", "", headers).status, 404);
  EXPECT_TRUE(client_->request("GET", tests, "", headers).json()["cases"].empty());
  EXPECT_EQ(audit_count(), audited_before);

  const auto cost = client_->request("POST", tests,
                                     R"({"question":"How much does shipping cost?","expect_source":"SHIPPING.md","expect_text":"$7.95"})", headers);
  ASSERT_EQ(cost.status, 201) << cost.body;
  const auto moon = client_->request("POST", tests, R"({"question":"Do you ship to the moon by rocket?","expect_text":"rocket"})", headers);
  ASSERT_EQ(moon.status, 201) << moon.body;
  EXPECT_EQ(cost.json()["expectations"]["source"], "SHIPPING.md");
  EXPECT_TRUE(cost.json()["last"].is_null());
  EXPECT_EQ(audit_count(), audited_before + 2);

  // Another workspace sees none of it and cannot run or change it.
  EXPECT_EQ(client_->request("GET", tests, "", auth(key_b_)).status, 404);
  EXPECT_EQ(client_->request("POST", tests + "/run", "", auth(key_b_)).status, 404);
  EXPECT_EQ(client_->request("DELETE", tests + "/" + cost.json()["id"].get<std::string>(), "", auth(key_b_)).status, 404);

  const auto run = client_->request("POST", tests + "/run", "", headers);
  ASSERT_EQ(run.status, 200) << run.body;
  const auto report = run.json();
  EXPECT_EQ(report["passed"], 1);
  EXPECT_EQ(report["failed"], 1);
  ASSERT_EQ(report["cases"].size(), 2u);
  EXPECT_EQ(report["cases"][0]["passed"], true) << report.dump();
  EXPECT_EQ(report["cases"][0]["sources"][0]["url"], "shipping.md");
  EXPECT_TRUE(report["cases"][0]["previous"].is_null());
  EXPECT_EQ(report["cases"][1]["passed"], false);
  EXPECT_EQ(report["cases"][1]["changed"], false);
  // The run asked through the answer path without writing a conversation.
  EXPECT_TRUE(client_->request("GET", "/api/v1/bots/" + bot + "/conversations", "", headers).json()["conversations"].empty());

  const auto listed = client_->request("GET", tests, "", headers).json()["cases"];
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0]["last"]["passed"], true);
  EXPECT_EQ(listed[1]["last"]["passed"], false);
  // Why the last run failed, judged again from the stored answer: what the run itself said.
  EXPECT_EQ(listed[1]["last"]["failures"], report["cases"][1]["failures"]);
  EXPECT_TRUE(listed[0]["last"]["failures"].empty());

  ASSERT_EQ(client_->request("DELETE", tests + "/" + moon.json()["id"].get<std::string>(), "", headers).status, 204);
  const auto entries = client_->request("GET", "/api/v1/audit", "", auth(key_a_)).json()["entries"];
  EXPECT_EQ(entries.back()["action"], "bot.test.delete");
  EXPECT_EQ(entries.back()["before"]["question"], "Do you ship to the moon by rocket?");
  const auto rerun = client_->request("POST", tests + "/run", "", headers).json();
  EXPECT_EQ(rerun["passed"], 1);
  EXPECT_EQ(rerun["failed"], 0);
  EXPECT_EQ(rerun["cases"][0]["previous"]["passed"], true);
}

}  // namespace
}  // namespace parley::api
