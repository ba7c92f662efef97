// The web app's and the widget's API on a real server, a real socket and a real SQLite file: which pages may call
// the public endpoints (CORS by allowed domains), visitor tokens, feedback, sessions, analytics, conversation
// search and export, and the served assets.
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auth/visitor_tokens.h"
#include "web/web_api_fixture.h"

namespace parley::api {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using WebApiTest = WebApiFixture;

TEST_F(WebApiTest, ChatAnswersExactlyTheAllowedOrigins) {
  const auto allowed = chat({{"message", "How much does shipping cost?"}}, "https://shop.example.com");
  ASSERT_EQ(allowed.status, 200) << allowed.body;
  EXPECT_EQ(allowed.headers.at("Access-Control-Allow-Origin"), "https://shop.example.com");
  EXPECT_THAT(allowed.headers.at("Vary"), HasSubstr("Origin"));
  EXPECT_EQ(chat({{"message", "hi"}}, "http://shop.example.com:8080").status, 200);  // any scheme and port
  EXPECT_EQ(chat({{"message", "hi"}}, "https://www.northwind.test").status, 200);    // a subdomain
  EXPECT_EQ(chat({{"message", "hi"}}, "http://localhost:5500").status, 200);

  for (const std::string origin : {"https://evil.example", "https://northwind.test", "https://shop.example.com.evil.test",
                                   "https://localhost:5500", "http://localhost:5501", "null", "https://badnorthwind.test"}) {
    const auto refused = chat({{"message", "How much does shipping cost?"}}, origin);
    EXPECT_EQ(refused.status, 403) << origin;
    EXPECT_EQ(refused.json()["error"]["code"], "forbidden") << origin;
    EXPECT_FALSE(refused.headers.count("Access-Control-Allow-Origin")) << origin;
  }
  // Server-to-server (no Origin) and this server's own pages are always allowed, without CORS headers.
  const auto server = chat({{"message", "hi"}});
  EXPECT_EQ(server.status, 200);
  EXPECT_FALSE(server.headers.count("Access-Control-Allow-Origin"));
  Headers same = {{"Content-Type", "application/json"}, {"Origin", "http://" + self_}, {"Host", self_}};
  EXPECT_EQ(client_->request("POST", "/api/v1/bots/" + bot_ + "/chat", R"({"message":"hi"})", same).status, 200);
}

TEST_F(WebApiTest, ABotWithoutAllowedDomainsServesNoOtherSite) {
  const std::string closed = create_bot(Json::object());
  EXPECT_EQ(chat({{"message", "hi"}}, "https://shop.example.com", closed).status, 403);
  EXPECT_EQ(chat({{"message", "hi"}}, "", closed).status, 200);
  const auto preflight = client_->request("OPTIONS", "/api/v1/bots/" + closed + "/chat", "",
                                          {{"Origin", "https://shop.example.com"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(preflight.status, 403);
  EXPECT_FALSE(preflight.headers.count("Access-Control-Allow-Origin"));
}

TEST_F(WebApiTest, PreflightsAllowTheWidgetsHeaders) {
  const auto chat_preflight = client_->request("OPTIONS", "/api/v1/bots/" + bot_ + "/chat", "", {{"Origin", "https://shop.example.com"}});
  EXPECT_EQ(chat_preflight.status, 204);
  EXPECT_EQ(chat_preflight.headers.at("Access-Control-Allow-Origin"), "https://shop.example.com");
  EXPECT_THAT(chat_preflight.headers.at("Access-Control-Allow-Headers"), HasSubstr("X-Visitor-Token"));
  const auto feedback_preflight = client_->request("OPTIONS", "/api/v1/widget/" + bot_ + "/feedback", "", {{"Origin", "https://shop.example.com"}});
  EXPECT_EQ(feedback_preflight.status, 204);
  EXPECT_THAT(feedback_preflight.headers.at("Access-Control-Allow-Methods"), HasSubstr("POST"));
  EXPECT_EQ(client_->request("OPTIONS", "/api/v1/widget/bot_nope/config", "", {{"Origin", "https://shop.example.com"}}).status, 404);
}

TEST_F(WebApiTest, InvalidAllowedDomainsAreRejected) {
  // (A page's address is taken for its site: owner_api_test.)
  for (const std::string bad : {"ftp://example.com", "exa mple.com", "*", "example.com:99999", "", "https://", "user@example.com"}) {
    const auto patched = client_->request("PATCH", "/api/v1/bots/" + bot_, Json{{"settings", {{"allowed_domains", {bad}}}}}.dump(), admin_headers());
    EXPECT_EQ(patched.status, 400) << bad << " " << patched.body;
  }
  const auto bad_widget = client_->request("PATCH", "/api/v1/bots/" + bot_,
                                           Json{{"settings", {{"widget", {{"primary_color", "red"}}}}}}.dump(), admin_headers());
  EXPECT_EQ(bad_widget.status, 400);
  const auto bad_logo = client_->request("PATCH", "/api/v1/bots/" + bot_,
                                         Json{{"settings", {{"widget", {{"logo_url", "javascript:alert(1)"}}}}}}.dump(), admin_headers());
  EXPECT_EQ(bad_logo.status, 400);
  const auto bad_text = client_->request("PATCH", "/api/v1/bots/" + bot_,
                                         Json{{"settings", {{"widget", {{"texts", {{"no_such_text", "x"}}}}}}}}.dump(), admin_headers());
  EXPECT_EQ(bad_text.status, 400);
}

TEST_F(WebApiTest, WidgetConfigIsPublicAndHoldsNothingSecret) {
  const auto patched = client_->request(
      "PATCH", "/api/v1/bots/" + bot_,
      Json{{"settings",
            {{"persona", "SECRET PERSONA"}, {"instructions", "SECRET INSTRUCTIONS"}, {"language", "he"},
             {"suggested_questions", {"How much is shipping?"}},
             {"widget", {{"primary_color", "#aa3300"}, {"position", "left"}, {"texts", {{"send", "Envoyer"}}}}}}}}
          .dump(),
      admin_headers());
  ASSERT_EQ(patched.status, 200) << patched.body;
  const auto config = client_->request("GET", "/api/v1/widget/" + bot_ + "/config", "", {{"Origin", "https://shop.example.com"}});
  ASSERT_EQ(config.status, 200);
  EXPECT_EQ(config.headers.at("Access-Control-Allow-Origin"), "https://shop.example.com");
  const auto body = config.json();
  EXPECT_EQ(body["primary_color"], "#aa3300");
  EXPECT_EQ(body["position"], "left");
  EXPECT_EQ(body["direction"], "rtl");  // Hebrew
  EXPECT_EQ(body["texts"]["send"], "Envoyer");
  EXPECT_EQ(body["texts"]["title"], "Shop");
  EXPECT_EQ(body["texts"]["placeholder"], "Type your question…");
  EXPECT_EQ(body["suggested_questions"][0], "How much is shipping?");
  EXPECT_THAT(config.body, Not(HasSubstr("SECRET")));
  EXPECT_THAT(config.body, Not(HasSubstr("shop.example.com")));
  EXPECT_THAT(config.body, Not(HasSubstr("threshold")));
  EXPECT_EQ(client_->request("GET", "/api/v1/widget/" + bot_ + "/config", "", {{"Origin", "https://evil.example"}}).status, 403);
}

TEST_F(WebApiTest, SynonymGroupsAreCheckedWhenSavedAndUsedByTheNextAnswer) {
  const auto patch = [&](const Json& synonyms) {
    return client_->request("PATCH", "/api/v1/bots/" + bot_, Json{{"settings", {{"synonyms", synonyms}}}}.dump(), admin_headers());
  };
  for (const Json& bad : {Json("delivery, shipping"), Json::array({Json::array({"delivery"})}),
                          Json::array({Json::array({"delivery", "home delivery"})}), Json::array({Json::array({"delivery", 3})}),
                          Json::array({Json::array({"delivery", std::string(65, 'x')})})}) {
    const auto refused = patch(bad);
    EXPECT_EQ(refused.status, 400) << bad.dump();
    EXPECT_THAT(refused.body, HasSubstr("settings.synonyms")) << bad.dump();
  }
  Json too_many = Json::array();
  for (int i = 0; i < 201; ++i) too_many.push_back(Json::array({"a" + std::to_string(i), "b" + std::to_string(i)}));
  EXPECT_EQ(patch(too_many).status, 400);

  const auto before = chat({{"message", "How much is delivery?"}}, "https://shop.example.com");
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_EQ(before.json()["mode"], "fallback");
  const auto saved = patch(Json::array({Json::array({"delivery", "shipping"})}));
  ASSERT_EQ(saved.status, 200) << saved.body;
  EXPECT_EQ(saved.json()["settings"]["synonyms"], Json::array({Json::array({"delivery", "shipping"})}));
  const auto after = chat({{"message", "How much is delivery?"}}, "https://shop.example.com");
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_NE(after.json()["mode"], "fallback");
  EXPECT_THAT(after.json()["answer"].get<std::string>(), HasSubstr("hipping"));
}

TEST_F(WebApiTest, VisitorTokensOpenOnlyTheirOwnConversation) {
  const auto first = chat({{"message", "How much does shipping cost?"}}, "https://shop.example.com");
  ASSERT_EQ(first.status, 200);
  const std::string token = first.json()["visitor_token"];
  const std::string conversation = first.json()["conversation_id"];
  EXPECT_TRUE(token.starts_with(conversation + "."));
  // The token continues the conversation.
  const auto second = chat({{"message", "How do I reset my password?"}, {"visitor_token", token}}, "https://shop.example.com");
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.json()["conversation_id"], conversation);
  EXPECT_EQ(second.json()["mode"], "faq");

  const auto history = client_->request("GET", "/api/v1/widget/" + bot_ + "/conversation", "",
                                        {{"Origin", "https://shop.example.com"}, {"X-Visitor-Token", token}});
  ASSERT_EQ(history.status, 200) << history.body;
  const auto messages = history.json()["messages"];
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[0]["role"], "user");
  EXPECT_EQ(messages[1]["sources"][0]["url"], "shipping.md");
  EXPECT_FALSE(messages[1].contains("confidence"));  // internals stay internal

  const auto without = client_->request("GET", "/api/v1/widget/" + bot_ + "/conversation", "", {{"Origin", "https://shop.example.com"}});
  EXPECT_EQ(without.status, 401);
  std::string forged = conversation + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  EXPECT_EQ(client_->request("GET", "/api/v1/widget/" + bot_ + "/conversation", "", {{"X-Visitor-Token", forged}}).status, 401);
  EXPECT_EQ(chat({{"message", "hi"}, {"visitor_token", forged}}).status, 401);
  // A token of this bot opens nothing of another bot.
  const std::string other = create_bot({{"allowed_domains", {"shop.example.com"}}});
  EXPECT_EQ(client_->request("GET", "/api/v1/widget/" + other + "/conversation", "", {{"X-Visitor-Token", token}}).status, 401);
}

// An idle conversation's token expires: the transcript and feedback are closed to it, and a new message starts a
// new conversation rather than an error. Tokens are renewed with every answer and every read of the transcript.
TEST_F(WebApiTest, AnExpiredVisitorTokenStartsANewConversation) {
  const auto first = chat({{"message", "How much does shipping cost?"}}, "https://shop.example.com");
  ASSERT_EQ(first.status, 200);
  const std::string conversation = first.json()["conversation_id"];
  // The instance's own key, as if the token had been handed out eight days ago (the lifetime is seven).
  const auto tokens = auth::VisitorTokens::load(*store_);
  ASSERT_TRUE(tokens.ok());
  const std::string stale = tokens->issue(bot_, conversation, auth::VisitorTokens::Clock::now() - std::chrono::hours(24 * 8));
  const Headers widget = {{"Origin", "https://shop.example.com"}, {"X-Visitor-Token", stale}};

  const auto history = client_->request("GET", "/api/v1/widget/" + bot_ + "/conversation", "", widget);
  EXPECT_EQ(history.status, 401);
  EXPECT_THAT(history.body, HasSubstr("expired"));
  const auto feedback = client_->request("POST", "/api/v1/widget/" + bot_ + "/feedback",
                                         Json{{"message_id", 2}, {"rating", 1}}.dump(),
                                         {{"Origin", "https://shop.example.com"}, {"X-Visitor-Token", stale}, {"Content-Type", "application/json"}});
  EXPECT_EQ(feedback.status, 401);

  const auto next = chat({{"message", "How do I reset my password?"}, {"visitor_token", stale}}, "https://shop.example.com");
  ASSERT_EQ(next.status, 200) << next.body;
  const std::string fresh_conversation = next.json()["conversation_id"];
  EXPECT_NE(fresh_conversation, conversation);
  const std::string fresh = next.json()["visitor_token"];
  EXPECT_EQ(tokens->verify(bot_, fresh).value(), fresh_conversation);
  // The old conversation got nothing more.
  const auto old = client_->request("GET", "/api/v1/bots/" + bot_ + "/conversations/" + conversation, "", admin_headers());
  EXPECT_EQ(old.json()["messages"].size(), 2u) << old.body;

  // Reading the transcript renews the token: the one it returns lives a full lifetime from now.
  const auto read = client_->request("GET", "/api/v1/widget/" + bot_ + "/conversation", "",
                                     {{"Origin", "https://shop.example.com"}, {"X-Visitor-Token", fresh}});
  ASSERT_EQ(read.status, 200) << read.body;
  const std::string renewed = read.json()["visitor_token"];
  const auto in_six_days = auth::VisitorTokens::Clock::now() + std::chrono::hours(24 * 6 + 23);
  EXPECT_EQ(tokens->verify(bot_, renewed, in_six_days).value(), fresh_conversation);
  // A tampered token is still refused, not taken for an expired one.
  std::string tampered = stale;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(chat({{"message", "hi"}, {"visitor_token", tampered}}, "https://shop.example.com").status, 401);
}

TEST_F(WebApiTest, FeedbackIsStoredAndCounted) {
  const auto answer = chat({{"message", "How much does shipping cost?"}}, "https://shop.example.com");
  const std::string token = answer.json()["visitor_token"];
  const std::int64_t message_id = answer.json()["message_id"];
  Headers headers = {{"Content-Type", "application/json"}, {"Origin", "https://shop.example.com"}, {"X-Visitor-Token", token}};
  const std::string path = "/api/v1/widget/" + bot_ + "/feedback";
  const auto rated = client_->request("POST", path, Json{{"message_id", message_id}, {"rating", -1}}.dump(), headers);
  ASSERT_EQ(rated.status, 200) << rated.body;
  EXPECT_EQ(rated.headers.at("Access-Control-Allow-Origin"), "https://shop.example.com");
  EXPECT_EQ(client_->request("POST", path, Json{{"message_id", message_id}, {"rating", 1}}.dump(), headers).status, 200);
  // The visitor's own question is no answer to rate; nor is a message of another conversation.
  EXPECT_EQ(client_->request("POST", path, Json{{"message_id", message_id - 1}, {"rating", 1}}.dump(), headers).status, 404);
  const auto other = chat({{"message", "How much does shipping cost?"}});
  EXPECT_EQ(client_->request("POST", path, Json{{"message_id", other.json()["message_id"]}, {"rating", 1}}.dump(), headers).status, 404);
  EXPECT_EQ(client_->request("POST", path, Json{{"message_id", message_id}, {"rating", 5}}.dump(), headers).status, 400);
  headers.erase("X-Visitor-Token");
  EXPECT_EQ(client_->request("POST", path, Json{{"message_id", message_id}, {"rating", 1}}.dump(), headers).status, 401);

  const auto transcript = client_->request("GET", "/api/v1/bots/" + bot_ + "/conversations/" + answer.json()["conversation_id"].get<std::string>(), "", admin_headers());
  EXPECT_EQ(transcript.json()["messages"][1]["rating"], 1);
  const auto rated_up = client_->request("GET", "/api/v1/bots/" + bot_ + "/conversations?rating=up", "", admin_headers());
  ASSERT_EQ(rated_up.json()["conversations"].size(), 1u);
  EXPECT_EQ(rated_up.json()["conversations"][0]["thumbs_up"], 1);
}

TEST_F(WebApiTest, SessionsSignInWithAStrictHttpOnlyCookie) {
  const auto wrong = client_->request("POST", "/api/v1/auth/login", Json{{"email", "owner@example.com"}, {"password", "wrong password"}}.dump(),
                                      {{"Content-Type", "application/json"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_FALSE(wrong.headers.count("Set-Cookie"));
  const auto login = client_->request("POST", "/api/v1/auth/login", Json{{"email", "owner@example.com"}, {"password", kPassword}}.dump(),
                                      {{"Content-Type", "application/json"}, {"X-Forwarded-Proto", "https"}});
  ASSERT_EQ(login.status, 200);
  const std::string set_cookie = login.headers.at("Set-Cookie");
  EXPECT_THAT(set_cookie, HasSubstr("HttpOnly"));
  EXPECT_THAT(set_cookie, HasSubstr("SameSite=Strict"));
  // Without a trusted proxy, a client's own X-Forwarded-Proto is not believed (tests/security/attacks_test.cpp).
  EXPECT_THAT(set_cookie, Not(HasSubstr("Secure")));

  const std::string cookie = sign_in();
  Headers same = {{"Cookie", cookie}, {"Host", self_}, {"Origin", "http://" + self_}};
  const auto bots = client_->request("GET", "/api/v1/bots", "", same);
  EXPECT_EQ(bots.status, 200);
  EXPECT_FALSE(bots.headers.count("Access-Control-Allow-Origin"));  // admin JSON is never CORS-readable
  EXPECT_EQ(client_->request("GET", "/api/v1/auth/me", "", same).json()["user"]["email"], "owner@example.com");
  // Another site's page cannot use the session, even when the browser sends the cookie.
  const auto cross = client_->request("GET", "/api/v1/bots", "", {{"Cookie", cookie}, {"Host", self_}, {"Origin", "https://evil.example"}});
  EXPECT_EQ(cross.status, 403);
  EXPECT_FALSE(cross.headers.count("Access-Control-Allow-Origin"));
  EXPECT_EQ(client_->request("DELETE", "/api/v1/bots/" + bot_, "", {{"Cookie", cookie}, {"Sec-Fetch-Site", "cross-site"}}).status, 403);
  EXPECT_EQ(client_->request("POST", "/api/v1/auth/logout", "", same).status, 204);
  EXPECT_EQ(client_->request("GET", "/api/v1/bots", "", same).status, 401);
}

TEST_F(WebApiTest, AnalyticsCountAnswersFallbacksFeedbackAndSources) {
  chat({{"message", "How much does shipping cost?"}});
  chat({{"message", "How do I reset my password?"}});
  const auto unknown = chat({{"message", "Do you sell electric scooters?"}});
  chat({{"message", "do you sell electric scooters?"}});
  const std::string token = unknown.json()["visitor_token"];
  client_->request("POST", "/api/v1/widget/" + bot_ + "/feedback", Json{{"message_id", unknown.json()["message_id"]}, {"rating", -1}}.dump(),
                   {{"Content-Type", "application/json"}, {"X-Visitor-Token", token}});
  const auto analytics = client_->request("GET", "/api/v1/bots/" + bot_ + "/analytics", "", admin_headers());
  ASSERT_EQ(analytics.status, 200) << analytics.body;
  const auto body = analytics.json();
  EXPECT_EQ(body["totals"]["conversations"], 4);
  EXPECT_EQ(body["totals"]["questions"], 4);
  EXPECT_EQ(body["totals"]["answered"], 2);
  EXPECT_EQ(body["totals"]["fallbacks"], 2);
  EXPECT_DOUBLE_EQ(body["totals"]["fallback_rate"].get<double>(), 0.5);
  EXPECT_EQ(body["totals"]["handoffs"], 0);  // nobody asked for a person (tests/api/leads_api_test.cpp counts some)
  EXPECT_DOUBLE_EQ(body["totals"]["handoff_rate"].get<double>(), 0.0);
  EXPECT_EQ(body["totals"]["thumbs_down"], 1);
  ASSERT_EQ(body["days"].size(), 1u);
  EXPECT_EQ(body["days"][0]["questions"], 4);
  ASSERT_EQ(body["unanswered"].size(), 1u);  // the same question twice, grouped
  EXPECT_EQ(body["unanswered"][0]["count"], 2);
  EXPECT_EQ(body["latency_ms"]["count"], 4);
  EXPECT_GT(body["latency_ms"]["p99"].get<double>(), 0.0);
  std::set<std::string> cited;
  for (const auto& source : body["top_sources"]) cited.insert(source["url"]);
  EXPECT_EQ(cited, (std::set<std::string>{"shipping.md", "faq.csv"}));
  EXPECT_EQ(client_->request("GET", "/api/v1/bots/" + bot_ + "/analytics?from=2026-13-01", "", admin_headers()).status, 400);
  EXPECT_EQ(client_->request("GET", "/api/v1/bots/" + bot_ + "/analytics?from=2020-01-01&to=2026-01-01", "", admin_headers()).status, 400);
  EXPECT_EQ(client_->request("GET", "/api/v1/bots/" + bot_ + "/analytics").status, 401);
}

TEST_F(WebApiTest, ConversationsFilterAndExport) {
  chat({{"message", "How much does shipping cost?"}});
  chat({{"message", "=HYPERLINK(\"http://evil\") do you sell scooters?"}});
  const auto list = [&](const std::string& query) {
    return client_->request("GET", "/api/v1/bots/" + bot_ + "/conversations?" + query, "", admin_headers()).json()["conversations"];
  };
  EXPECT_EQ(list("").size(), 2u);
  EXPECT_EQ(list("q=SHIPPING").size(), 1u);
  EXPECT_EQ(list("q=SHIPPING")[0]["first_question"], "How much does shipping cost?");
  EXPECT_EQ(list("mode=fallback").size(), 1u);
  EXPECT_EQ(list("mode=fallback")[0]["fallback_count"], 1);
  EXPECT_EQ(list("from=2000-01-01&to=2000-01-02").size(), 0u);
  EXPECT_EQ(client_->request("GET", "/api/v1/bots/" + bot_ + "/conversations?mode=nonsense", "", admin_headers()).status, 400);

  const auto csv = client_->request("GET", "/api/v1/bots/" + bot_ + "/conversations/export?format=csv", "", admin_headers());
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_THAT(csv.headers.at("Content-Type"), HasSubstr("text/csv"));
  EXPECT_THAT(csv.headers.at("Content-Disposition"), HasSubstr("attachment"));
  EXPECT_TRUE(csv.body.starts_with("conversation_id,message_id,created_at,role,text"));
  EXPECT_THAT(csv.body, HasSubstr("Shipping guide"));
  EXPECT_THAT(csv.body, HasSubstr("\"'=HYPERLINK(\"\"http://evil\"\") do you sell scooters?\""));  // never a formula
  const auto json = client_->request("GET", "/api/v1/bots/" + bot_ + "/conversations/export?format=json&q=shipping", "", admin_headers());
  ASSERT_EQ(json.status, 200);
  ASSERT_EQ(json.json()["conversations"].size(), 1u);
  EXPECT_EQ(json.json()["conversations"][0]["messages"].size(), 2u);
  EXPECT_EQ(client_->request("GET", "/api/v1/bots/" + bot_ + "/conversations/export?format=xml", "", admin_headers()).status, 400);
}

TEST_F(WebApiTest, ServesTheAdminAppAndTheWidgetScript) {
  const auto page = client_->request("GET", "/admin");
  ASSERT_EQ(page.status, 200);
  EXPECT_THAT(page.headers.at("Content-Type"), HasSubstr("text/html"));
  const std::string policy = page.headers.at("Content-Security-Policy");
  EXPECT_THAT(policy, HasSubstr("script-src 'self'"));
  EXPECT_THAT(policy, Not(HasSubstr("unsafe-inline")));
  EXPECT_THAT(policy, HasSubstr("frame-ancestors 'none'"));
  EXPECT_THAT(page.body, HasSubstr("/admin/assets/"));
  const auto start = page.body.find("/admin/assets/");
  const std::string asset = page.body.substr(start, page.body.find('"', start) - start);
  const auto script = client_->request("GET", asset, "", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(script.status, 200) << asset;
  EXPECT_EQ(script.headers.at("Content-Encoding"), "gzip");
  EXPECT_THAT(script.headers.at("Cache-Control"), HasSubstr("immutable"));

  const auto widget = client_->request("GET", "/widget.js");
  ASSERT_EQ(widget.status, 200);
  EXPECT_THAT(widget.headers.at("Content-Type"), HasSubstr("javascript"));
  EXPECT_FALSE(widget.headers.count("Content-Encoding"));
  const auto compressed = client_->request("GET", "/widget.js", "", {{"Accept-Encoding", "gzip, br"}});
  EXPECT_EQ(compressed.headers.at("Content-Encoding"), "gzip");
  EXPECT_LE(compressed.body.size(), 20u * 1024u);  // the widget's size budget
  // The lead form, a script of its own that widget.js loads only when the form is shown (docs/LEADS.md).
  const auto form = client_->request("GET", "/widget-lead-form.js", "", {{"Accept-Encoding", "gzip"}});
  ASSERT_EQ(form.status, 200);
  EXPECT_THAT(form.headers.at("Content-Type"), HasSubstr("javascript"));
  EXPECT_EQ(form.headers.at("Content-Encoding"), "gzip");
  EXPECT_EQ(form.headers.at("Cross-Origin-Resource-Policy"), "cross-origin");
  EXPECT_LE(form.body.size(), 4u * 1024u);
  EXPECT_EQ(client_->request("GET", "/admin/assets/nope.js").status, 404);
  EXPECT_EQ(client_->request("GET", "/widget.js.gz").status, 404);
  EXPECT_EQ(client_->request("GET", "/").headers.at("Location"), "/admin");
}

}  // namespace
}  // namespace parley::api
