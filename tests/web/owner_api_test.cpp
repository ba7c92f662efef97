// Issue 18, the owner's first day, through the API on a real server: settings that do what the builder shows (the
// handoff default saved with a new bot; no offer of a person where handoff is off), allowed domains stored as the
// owner meant them, the widget's refusal readable by the page, "Check my installation", the team and the owner's
// account (invitations, generated passwords, resets, roles, keys, password change), test conversations left out
// of analytics, webhooks refused on private networks and "Send test event", phone numbers without a country code,
// and the inbox summary that keeps up with the visitor.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "notify/signature.h"
#include "support/test_site.h"
#include "support/webhook_receiver.h"
#include "web/web_api_fixture.h"

namespace parley::api {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class OwnerApiTest : public WebApiFixture {
 protected:
  Headers same_origin(const std::string& cookie = "") {
    Headers headers = {{"Content-Type", "application/json"}, {"Host", self_}, {"Origin", "http://" + self_}};
    if (!cookie.empty()) headers["Cookie"] = cookie;
    return headers;
  }
  HttpResult post(const std::string& path, const Json& body, const Headers& headers) {
    return client_->request("POST", path, body.dump(), headers);
  }
  Json settings() { return client_->request("GET", "/api/v1/bots/" + bot_, "", admin_headers()).json()["settings"]; }
  HttpResult patch_settings(const Json& settings) {
    return client_->request("PATCH", "/api/v1/bots/" + bot_, Json{{"settings", settings}}.dump(), admin_headers());
  }
  // Signs in with an email and password; the session cookie ("" when refused).
  std::string sign_in_as(const std::string& email, const std::string& password) {
    const auto login = post("/api/v1/auth/login", {{"email", email}, {"password", password}}, same_origin());
    if (login.status != 200) return "";
    const std::string cookie = login.headers.at("Set-Cookie");
    return cookie.substr(0, cookie.find(';'));
  }
};

// A server whose crawls, webhooks and installation checks may reach loopback (the tests' sites are there).
class OwnerApiLoopbackTest : public OwnerApiTest {
 protected:
  ApiOptions api_options() override {
    ApiOptions options;
    options.allow_private_addresses = true;
    return options;
  }
};

// ---- settings that do what the builder shows ----

TEST_F(OwnerApiTest, ANewBotSavesItsHandoffDefaultAndTheWidgetShowsTheButtonAtOnce) {
  EXPECT_EQ(settings()["handoff"], Json({{"enabled", true}}));
  const auto config = client_->request("GET", "/api/v1/widget/" + bot_ + "/config");
  ASSERT_EQ(config.status, 200);
  EXPECT_EQ(config.json()["handoff"], true);
  // A bot made before handoff existed (no "handoff" key): visitors can ask in words, so the button shows too.
  const auto created = client_->request("POST", "/api/v1/bots", Json{{"name", "Old"}}.dump(), admin_headers());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string old_bot = created.json()["id"];
  ASSERT_EQ(client_->request("PATCH", "/api/v1/bots/" + old_bot, Json{{"settings", {{"handoff", nullptr}}}}.dump(), admin_headers()).status, 200);
  EXPECT_FALSE(client_->request("GET", "/api/v1/bots/" + old_bot, "", admin_headers()).json()["settings"].contains("handoff"));
  EXPECT_EQ(client_->request("GET", "/api/v1/widget/" + old_bot + "/config").json()["handoff"], true);
}

TEST_F(OwnerApiTest, WithHandoffOffTheBotNeverOffersAPerson) {
  ASSERT_EQ(patch_settings({{"handoff", {{"enabled", false}}}}).status, 200);
  EXPECT_EQ(client_->request("GET", "/api/v1/widget/" + bot_ + "/config").json()["handoff"], false);
  const auto unanswered = chat({{"message", "Do you sell garden furniture made of teak?"}});
  ASSERT_EQ(unanswered.status, 200) << unanswered.body;
  EXPECT_EQ(unanswered.json()["mode"], "fallback");
  EXPECT_THAT(unanswered.json()["answer"].get<std::string>(), Not(HasSubstr("person")));
  const auto asked = chat({{"message", "I want to talk to a person"}});
  ASSERT_EQ(asked.status, 200) << asked.body;
  EXPECT_NE(asked.json()["mode"], "handoff");
  EXPECT_THAT(asked.json()["answer"].get<std::string>(), Not(HasSubstr("connecting you")));
  // With handoff on, the default fallback offers one.
  ASSERT_EQ(patch_settings({{"handoff", {{"enabled", true}}}}).status, 200);
  EXPECT_THAT(chat({{"message", "Do you sell garden furniture made of teak?"}}).json()["answer"].get<std::string>(),
              HasSubstr("connect you with a person"));
}

TEST_F(OwnerApiTest, AllowedDomainsAreStoredAsTheSitesTheOwnerMeant) {
  const auto saved = patch_settings({{"allowed_domains",
                                      {"localhost:8099", "https://www.shop.com/page", "Shop.Example.org/", " https://x.test/a?b#c ",
                                       "shop.example.org"}}});
  ASSERT_EQ(saved.status, 200) << saved.body;
  EXPECT_EQ(saved.json()["settings"]["allowed_domains"],
            Json({"localhost:8099", "https://www.shop.com", "shop.example.org", "https://x.test"}));
  EXPECT_EQ(chat({{"message", "hi"}}, "http://localhost:8099").status, 200);
  EXPECT_EQ(chat({{"message", "hi"}}, "https://www.shop.com").status, 200);
  EXPECT_EQ(chat({{"message", "hi"}}, "http://www.shop.com").status, 403);  // the scheme typed counts

  const auto refused = patch_settings({{"allowed_domains", {"shop com"}}});
  EXPECT_EQ(refused.status, 400);
  const std::string message = refused.json()["error"]["message"];
  EXPECT_THAT(message, HasSubstr("\"shop com\" is not a website address"));
  EXPECT_THAT(message, HasSubstr("like example.com"));
}

TEST_F(OwnerApiTest, TheWidgetConfigRefusalTellsThePageWhyButNothingElse) {
  const auto refused = client_->request("GET", "/api/v1/widget/" + bot_ + "/config", "", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.headers.at("Access-Control-Allow-Origin"), "https://evil.example");
  EXPECT_THAT(refused.json()["error"]["message"].get<std::string>(), HasSubstr("allowed domains"));
  EXPECT_THAT(refused.body, Not(HasSubstr("Shop")));  // nothing of the bot
  // Every other public endpoint stays unreadable for the page.
  const auto chat_refused = chat({{"message", "hi"}}, "https://evil.example");
  EXPECT_EQ(chat_refused.status, 403);
  EXPECT_FALSE(chat_refused.headers.count("Access-Control-Allow-Origin"));
}

TEST_F(OwnerApiLoopbackTest, CheckMyInstallationSaysWhetherTheWidgetCanLoadAndWhyNot) {
  testing::TestSite site;
  const std::string snippet = "<script src=\"http://" + self_ + "/widget.js\" data-bot=\"" + bot_ + "\" async></script>";
  site.set("/with", testing::html_page("Shop", "<p>Shop</p>" + snippet));
  site.set("/without", testing::html_page("Shop", "<p>Nothing here</p>"));
  site.set("/other", testing::html_page("Shop", "<script data-bot='bot_someone_else' src='https://x.test/widget.js?v=2'></script>"));
  const auto check = [&](const std::string& url) {
    return client_->request("POST", "/api/v1/bots/" + bot_ + "/installation-check", Json{{"url", url}}.dump(), admin_headers());
  };

  auto result = check(site.url("/with"));
  ASSERT_EQ(result.status, 200) << result.body;
  const std::string host = "127.0.0.1:" + std::to_string(site.port());
  EXPECT_EQ(result.json()["allowed"], false);
  EXPECT_EQ(result.json()["ok"], false);
  EXPECT_EQ(result.json()["suggested_domain"], host);
  EXPECT_THAT(result.json()["domain_message"].get<std::string>(), HasSubstr(host + " is not in the bot's allowed domains"));
  EXPECT_EQ(result.json()["page"]["snippet"], "found");

  ASSERT_EQ(patch_settings({{"allowed_domains", {host}}}).status, 200);
  result = check(site.url("/with"));
  EXPECT_EQ(result.json()["ok"], true) << result.body;
  result = check(site.url("/without"));
  EXPECT_EQ(result.json()["ok"], false);
  EXPECT_EQ(result.json()["page"]["snippet"], "missing");
  EXPECT_THAT(result.json()["page"]["message"].get<std::string>(), HasSubstr("no chat script tag"));
  result = check(site.url("/other"));
  EXPECT_EQ(result.json()["page"]["snippet"], "other_bot");
  // A page this server cannot open: the domains are still checked, and the page's problem is said.
  result = check("http://127.0.0.1:9/closed");
  ASSERT_EQ(result.status, 200);
  EXPECT_EQ(result.json()["page"]["fetched"], false);

  const auto bad = check("not a page");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json()["error"]["field"], "url");
}

// ---- the team and the owner's account ----

TEST_F(OwnerApiTest, AnOwnerInvitesWithAOneTimeLinkOrCreatesAnAccountWithAPasswordShownOnce) {
  const auto invited = post("/api/v1/users", {{"email", "Sam@Example.com"}, {"role", "agent"}, {"invite", true}}, admin_headers());
  ASSERT_EQ(invited.status, 201) << invited.body;
  EXPECT_EQ(invited.json()["user"]["state"], "invited");
  EXPECT_EQ(invited.json()["emailed"], false);  // this server has no [smtp]
  const std::string link = invited.json()["link"];
  ASSERT_THAT(link, HasSubstr("/admin#/account/link/"));
  const std::string token = link.substr(link.rfind('/') + 1);
  // An invited account cannot sign in before choosing a password.
  EXPECT_EQ(sign_in_as("sam@example.com", ""), "");

  const auto info = post("/api/v1/auth/link", {{"token", token}}, same_origin());
  ASSERT_EQ(info.status, 200) << info.body;
  EXPECT_EQ(info.json()["email"], "sam@example.com");
  EXPECT_EQ(info.json()["purpose"], "invite");
  const auto short_password = post("/api/v1/auth/link/redeem", {{"token", token}, {"password", "short"}}, same_origin());
  EXPECT_EQ(short_password.status, 400);
  EXPECT_EQ(short_password.json()["error"]["field"], "password");
  const auto redeemed = post("/api/v1/auth/link/redeem", {{"token", token}, {"password", "sam's own password"}, {"name", "Sam Lee"}}, same_origin());
  ASSERT_EQ(redeemed.status, 200) << redeemed.body;
  EXPECT_EQ(redeemed.json()["user"]["name"], "Sam Lee");
  EXPECT_THAT(redeemed.headers.at("Set-Cookie"), HasSubstr("parley_session="));
  EXPECT_EQ(post("/api/v1/auth/link/redeem", {{"token", token}, {"password", "another password"}}, same_origin()).status, 401);
  const std::string sam = sign_in_as("sam@example.com", "sam's own password");
  ASSERT_FALSE(sam.empty());

  const auto created = post("/api/v1/users", {{"email", "vic@example.com"}, {"role", "viewer"}, {"invite", false}}, admin_headers());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_FALSE(created.json().contains("link"));
  EXPECT_FALSE(sign_in_as("vic@example.com", created.json()["password"]).empty());

  const auto users = client_->request("GET", "/api/v1/users", "", admin_headers());
  ASSERT_EQ(users.status, 200);
  EXPECT_EQ(users.json()["users"].size(), 3u);
  EXPECT_THAT(users.body, Not(HasSubstr("argon2")));

  // Only owners manage the team.
  EXPECT_EQ(client_->request("GET", "/api/v1/users", "", same_origin(sam)).status, 403);
  EXPECT_EQ(post("/api/v1/users", {{"email", "x@example.com"}, {"role", "owner"}}, same_origin(sam)).status, 403);

  // Refusals name their field, in plain words.
  const auto taken = post("/api/v1/users", {{"email", "SAM@example.com"}, {"role", "agent"}}, admin_headers());
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(taken.json()["error"]["field"], "email");
  const auto bad_email = post("/api/v1/users", {{"email", "sam at example"}, {"role", "agent"}}, admin_headers());
  EXPECT_EQ(bad_email.status, 400);
  EXPECT_EQ(bad_email.json()["error"]["field"], "email");
  const auto bad_role = post("/api/v1/users", {{"email", "z@example.com"}, {"role", "boss"}}, admin_headers());
  EXPECT_EQ(bad_role.json()["error"]["field"], "role");
}

TEST_F(OwnerApiTest, RolesChangeResetsWorkAndTheWorkspaceKeepsAnOwner) {
  const std::string owner = sign_in();
  const auto me = client_->request("GET", "/api/v1/auth/me", "", same_origin(owner)).json();
  const std::string owner_id = me["user"]["id"];
  const auto created = post("/api/v1/users", {{"email", "ann@example.com"}, {"role", "agent"}, {"invite", false}}, admin_headers());
  const std::string ann = created.json()["user"]["id"];
  const std::string first_password = created.json()["password"];

  // The only owner can neither be demoted nor removed.
  const auto demote = client_->request("PATCH", "/api/v1/users/" + owner_id, Json{{"role", "admin"}}.dump(), admin_headers());
  EXPECT_EQ(demote.status, 409);
  EXPECT_EQ(demote.json()["error"]["field"], "role");
  EXPECT_EQ(client_->request("DELETE", "/api/v1/users/" + owner_id, "", same_origin(owner)).status, 409);

  ASSERT_EQ(client_->request("PATCH", "/api/v1/users/" + ann, Json{{"role", "admin"}, {"name", "Ann"}}.dump(), admin_headers()).status, 200);
  const std::string ann_before = sign_in_as("ann@example.com", first_password);
  EXPECT_EQ(client_->request("GET", "/api/v1/auth/me", "", same_origin(ann_before)).json()["role"], "admin");

  // A reset: a generated password (shown once) replaces the old one and ends every session; a link works once.
  const auto reset = post("/api/v1/users/" + ann + "/password", {{"link", false}}, admin_headers());
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(client_->request("GET", "/api/v1/auth/me", "", same_origin(ann_before)).status, 401);
  EXPECT_EQ(sign_in_as("ann@example.com", first_password), "");
  EXPECT_FALSE(sign_in_as("ann@example.com", reset.json()["password"]).empty());
  const auto link = post("/api/v1/users/" + ann + "/password", {{"link", true}}, admin_headers());
  const std::string token = link.json()["link"].get<std::string>().substr(link.json()["link"].get<std::string>().rfind('/') + 1);
  EXPECT_EQ(post("/api/v1/auth/link", {{"token", token}}, same_origin()).json()["purpose"], "reset");
  ASSERT_EQ(post("/api/v1/auth/link/redeem", {{"token", token}, {"password", "ann's new password"}}, same_origin()).status, 200);
  EXPECT_FALSE(sign_in_as("ann@example.com", "ann's new password").empty());

  ASSERT_EQ(client_->request("DELETE", "/api/v1/users/" + ann, "", admin_headers()).status, 204);
  EXPECT_EQ(sign_in_as("ann@example.com", "ann's new password"), "");

  // With a second owner, the first one may step down.
  const auto second = post("/api/v1/users", {{"email", "own2@example.com"}, {"role", "owner"}, {"invite", false}}, admin_headers());
  ASSERT_EQ(second.status, 201);
  EXPECT_EQ(client_->request("PATCH", "/api/v1/users/" + owner_id, Json{{"role", "admin"}}.dump(), admin_headers()).status, 200);
}

TEST_F(OwnerApiTest, APersonSetsTheirNameAndChangesTheirPassword) {
  const std::string owner = sign_in();
  const auto named = client_->request("PATCH", "/api/v1/auth/me", Json{{"name", "Maria Owner"}}.dump(), same_origin(owner));
  ASSERT_EQ(named.status, 200) << named.body;
  EXPECT_EQ(client_->request("GET", "/api/v1/auth/me", "", same_origin(owner)).json()["user"]["name"], "Maria Owner");
  EXPECT_EQ(client_->request("PATCH", "/api/v1/auth/me", Json{{"name", ""}}.dump(), same_origin(owner)).json()["error"]["field"], "name");

  const std::string elsewhere = sign_in();
  const auto wrong = post("/api/v1/auth/password", {{"current_password", "not it at all"}, {"new_password", "a brand new password"}}, same_origin(owner));
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(wrong.json()["error"]["field"], "current_password");
  const auto weak = post("/api/v1/auth/password", {{"current_password", kPassword}, {"new_password", "short"}}, same_origin(owner));
  EXPECT_EQ(weak.json()["error"]["field"], "new_password");
  EXPECT_THAT(weak.json()["error"]["message"].get<std::string>(), HasSubstr("at least 10 characters"));
  ASSERT_EQ(post("/api/v1/auth/password", {{"current_password", kPassword}, {"new_password", "a brand new password"}}, same_origin(owner)).status, 204);
  // The session that changed it stays signed in; the account's other sessions end.
  EXPECT_EQ(client_->request("GET", "/api/v1/auth/me", "", same_origin(owner)).status, 200);
  EXPECT_EQ(client_->request("GET", "/api/v1/auth/me", "", same_origin(elsewhere)).status, 401);
  EXPECT_EQ(sign_in_as("owner@example.com", kPassword), "");
  EXPECT_FALSE(sign_in_as("owner@example.com", "a brand new password").empty());
  // An API key has no account of its own.
  EXPECT_EQ(client_->request("PATCH", "/api/v1/auth/me", Json{{"name", "Robot"}}.dump(), admin_headers()).status, 400);

  const auto log = client_->request("GET", "/api/v1/audit/export", "", admin_headers());
  EXPECT_THAT(log.body, HasSubstr("\"user.password_change\""));
  EXPECT_THAT(log.body, Not(HasSubstr("a brand new password")));
}

TEST_F(OwnerApiTest, OwnersCreateAndRevokeApiKeysShownOnce) {
  const auto created = post("/api/v1/keys", {{"name", "CRM sync"}, {"role", "viewer"}}, admin_headers());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string secret = created.json()["secret"];
  const std::string id = created.json()["key"]["id"];
  EXPECT_EQ(client_->request("GET", "/api/v1/bots", "", {{"Authorization", "Bearer " + secret}}).status, 200);
  const auto listed = client_->request("GET", "/api/v1/keys", "", admin_headers());
  EXPECT_THAT(listed.body, HasSubstr("CRM sync"));
  EXPECT_THAT(listed.body, Not(HasSubstr(secret)));
  // A viewer key manages no keys.
  EXPECT_EQ(client_->request("GET", "/api/v1/keys", "", {{"Authorization", "Bearer " + secret}}).status, 403);
  EXPECT_EQ(post("/api/v1/keys", {{"name", ""}, {"role", "admin"}}, admin_headers()).json()["error"]["field"], "name");
  ASSERT_EQ(client_->request("DELETE", "/api/v1/keys/" + id, "", admin_headers()).status, 204);
  EXPECT_EQ(client_->request("GET", "/api/v1/bots", "", {{"Authorization", "Bearer " + secret}}).status, 401);
  const auto log = client_->request("GET", "/api/v1/audit/export", "", admin_headers());
  EXPECT_THAT(log.body, HasSubstr("\"key.create\""));
  EXPECT_THAT(log.body, HasSubstr("\"key.revoke\""));
}

// ---- analytics, webhooks, leads, the inbox ----

TEST_F(OwnerApiTest, PlaygroundConversationsAreTestsLeftOutOfAnalyticsByDefault) {
  const std::string owner = sign_in();
  Headers playground = same_origin(owner);
  const auto test = post("/api/v1/bots/" + bot_ + "/chat", {{"message", "How much does shipping cost?"}, {"test", true}}, playground);
  ASSERT_EQ(test.status, 200) << test.body;
  ASSERT_EQ(chat({{"message", "How much does shipping cost?"}}, "https://shop.example.com").status, 200);

  const auto list = client_->request("GET", "/api/v1/bots/" + bot_ + "/conversations", "", admin_headers()).json()["conversations"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(std::count_if(list.begin(), list.end(), [](const Json& c) { return c["test"] == true; }), 1);
  const auto visitors = client_->request("GET", "/api/v1/bots/" + bot_ + "/analytics", "", admin_headers()).json();
  EXPECT_EQ(visitors["totals"]["conversations"], 1);
  EXPECT_EQ(visitors["totals"]["questions"], 1);
  EXPECT_EQ(visitors["tests_included"], false);
  const auto everyone = client_->request("GET", "/api/v1/bots/" + bot_ + "/analytics?tests=include", "", admin_headers()).json();
  EXPECT_EQ(everyone["totals"]["conversations"], 2);

  // Only the bot's own team may mark a test: not a visitor's page, not an anonymous caller.
  EXPECT_EQ(chat({{"message", "hi"}, {"test", true}}, "https://shop.example.com").status, 403);
  EXPECT_EQ(chat({{"message", "hi"}, {"test", true}}).status, 403);
  EXPECT_EQ(client_->request("POST", "/api/v1/bots/" + bot_ + "/chat", Json{{"message", "hi"}, {"test", true}}.dump(), admin_headers()).status, 200);
}

TEST_F(OwnerApiTest, AWebhookReceiverOnAPrivateNetworkIsRefusedWhenItIsAdded) {
  for (const std::string url : {"http://127.0.0.1:9/hook", "http://localhost:9/hook", "http://10.1.2.3/hook", "http://[::1]:9/hook"}) {
    const auto refused = post("/api/v1/webhooks", {{"url", url}, {"events", {"lead.created"}}}, admin_headers());
    EXPECT_EQ(refused.status, 400) << url;
    EXPECT_EQ(refused.json()["error"]["field"], "url") << url;
    EXPECT_THAT(refused.json()["error"]["message"].get<std::string>(), HasSubstr("private network")) << url;
  }
  const auto fine = post("/api/v1/webhooks", {{"url", "http://93.184.216.34/hook"}, {"events", {"lead.created"}}}, admin_headers());
  EXPECT_EQ(fine.status, 201) << fine.body;
  const auto moved = client_->request("PATCH", "/api/v1/webhooks/" + fine.json()["id"].get<std::string>(),
                                      Json{{"url", "http://192.168.1.20/hook"}}.dump(), admin_headers());
  EXPECT_EQ(moved.status, 400);
  const auto no_events = post("/api/v1/webhooks", {{"url", "http://93.184.216.34/hook"}, {"events", Json::array()}}, admin_headers());
  EXPECT_EQ(no_events.json()["error"]["field"], "events");
}

TEST_F(OwnerApiLoopbackTest, SendTestEventShowsTheReceiversAnswer) {
  testing::WebhookReceiver receiver;
  receiver.respond([](const testing::ReceivedHook& hook, int) { return testing::HookAnswer{hook.path.ends_with("down") ? 503 : 200}; });
  const auto hook = post("/api/v1/webhooks", {{"url", receiver.url("crm")}, {"events", {"lead.created"}}}, admin_headers());
  ASSERT_EQ(hook.status, 201) << hook.body;
  const auto sent = post("/api/v1/webhooks/" + hook.json()["id"].get<std::string>() + "/test", Json::object(), admin_headers());
  ASSERT_EQ(sent.status, 200) << sent.body;
  EXPECT_EQ(sent.json()["delivered"], true);
  EXPECT_EQ(sent.json()["status"], 200);
  EXPECT_EQ(sent.json()["response"], "ok");
  ASSERT_EQ(receiver.received_count(), 1u);
  const auto received = receiver.received().front();
  EXPECT_EQ(received.headers.at("parley-event"), "webhook.test");
  EXPECT_TRUE(notify::verify_signature(hook.json()["secret"].get<std::string>(), std::stoll(received.headers.at("parley-timestamp")),
                                       received.body, received.headers.at("parley-signature")));
  // Nothing is logged as a delivery.
  EXPECT_EQ(client_->request("GET", "/api/v1/webhooks/" + hook.json()["id"].get<std::string>() + "/deliveries", "", admin_headers())
                .json()["deliveries"].size(),
            0u);

  const auto down = post("/api/v1/webhooks", {{"url", receiver.url("down")}, {"events", {"lead.created"}}}, admin_headers());
  const auto failed = post("/api/v1/webhooks/" + down.json()["id"].get<std::string>() + "/test", Json::object(), admin_headers());
  EXPECT_EQ(failed.json()["delivered"], false);
  EXPECT_EQ(failed.json()["status"], 503);
  EXPECT_THAT(failed.json()["error"].get<std::string>(), HasSubstr("503"));
}

TEST_F(OwnerApiTest, APhoneNumberWithoutCountryCodeIsReadInTheVisitorsOrTheBotsCountry) {
  ASSERT_EQ(patch_settings({{"leads", {{"enabled", true}, {"fields", {{{"name", "email"}}, {{"name", "phone"}, {"required", true}}}}}}}).status, 200);
  EXPECT_EQ(client_->request("GET", "/api/v1/widget/" + bot_ + "/config").json()["lead_form"]["phone_country"], "");
  const auto submit = [&](const Json& body) { return post("/api/v1/bots/" + bot_ + "/leads", body, {{"Content-Type", "application/json"}}); };
  const auto unknown = submit({{"fields", {{"phone", "(650) 253-0000"}}}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_THAT(unknown.json()["error"]["fields"]["phone"].get<std::string>(), HasSubstr("country code"));
  const auto visitor = submit({{"fields", {{"phone", "(650) 253-0000"}}}, {"country", "US"}});
  ASSERT_EQ(visitor.status, 201) << visitor.body;
  const auto lead = client_->request("GET", "/api/v1/bots/" + bot_ + "/leads/" + visitor.json()["lead_id"].get<std::string>(), "", admin_headers());
  EXPECT_EQ(lead.json()["phone"], "+16502530000");

  ASSERT_EQ(patch_settings({{"language", "en-GB"}}).status, 200);
  EXPECT_EQ(client_->request("GET", "/api/v1/widget/" + bot_ + "/config").json()["lead_form"]["phone_country"], "GB");
  EXPECT_EQ(submit({{"fields", {{"phone", "020 7946 0958"}}}}).status, 201);
  EXPECT_EQ(submit({{"fields", {{"phone", "020 7946 0959"}}}, {"country", "not a country"}}).status, 201);  // ignored
}

TEST_F(OwnerApiTest, TheInboxSummaryKeepsUpWithWhatTheVisitorWritesWhileWaiting) {
  const auto asked = chat({{"message", "I want to talk to a person"}}, "https://shop.example.com");
  ASSERT_EQ(asked.status, 200) << asked.body;
  ASSERT_EQ(asked.json()["mode"], "handoff");
  const std::string token = asked.json()["visitor_token"];
  ASSERT_EQ(chat({{"message", "My order number is 4411"}, {"visitor_token", token}}, "https://shop.example.com").status, 200);
  const auto inbox = client_->request("GET", "/api/v1/inbox", "", admin_headers());
  ASSERT_EQ(inbox.status, 200) << inbox.body;
  const Json waiting = inbox.json()["conversations"];
  ASSERT_EQ(waiting.size(), 1u) << inbox.body;
  EXPECT_THAT(waiting[0]["summary"].get<std::string>(), HasSubstr("My order number is 4411"));
  EXPECT_EQ(waiting[0]["last_message"]["text"], "My order number is 4411");
}

}  // namespace
}  // namespace parley::api
