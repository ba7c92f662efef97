// Tenant isolation: with workspace A's key, every endpoint that names an object of workspace B (by its real id, as
// if guessed) is refused, and nothing of B (a unique marker planted in its content, conversations and names) shows
// up in anything A can read: listings, searches, exports, analytics, answers, error messages.
#include "security/server_fixture.h"

namespace parley::security_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kMarker = "quokka-marker-81d3";

class Isolation : public ServerFixture {
 protected:
  void SetUp() override {
    start();
    a_bot_ = create_bot(key_a_, "A support");
    upload(key_a_, a_bot_, "a.md", "# Returns\n\nReturns are accepted within 30 days with a receipt.\n");
    b_bot_ = create_bot(key_b_, std::string("B bot ") + kMarker);
    b_source_ = upload(key_b_, b_bot_, "b.md",
                       std::string("# Secret plan\n\nThe launch code word is ") + kMarker + ". Returns take 90 days.\n");
    ASSERT_FALSE(b_source_.empty());
    const auto reply = chat(b_bot_, {{"message", std::string("What is the launch code word? ") + kMarker}});
    ASSERT_EQ(reply.status, 200) << reply.body;
    b_conversation_ = reply.json()["conversation_id"];
    b_visitor_token_ = reply.json()["visitor_token"];
  }

  // A's key against one endpoint: refused (404 hides existence; 403 is acceptable) and B's marker is not in the answer.
  void expect_refused(const std::string& method, const std::string& target, const std::string& body = "") {
    auto headers = auth(key_a_, !body.empty());
    const auto result = client_->request(method, target, body, headers);
    EXPECT_TRUE(result.status == 404 || result.status == 403) << method << " " << target << " -> " << result.status << " " << result.body;
    EXPECT_THAT(result.body, Not(HasSubstr(kMarker))) << method << " " << target;
  }

  std::string a_bot_, b_bot_, b_source_, b_conversation_, b_visitor_token_;
};

TEST_F(Isolation, EveryEndpointRefusesAnotherWorkspacesObjects) {
  const std::string bot = "/api/v1/bots/" + b_bot_;
  expect_refused("GET", bot);
  expect_refused("PATCH", bot, R"({"name":"taken over"})");
  expect_refused("GET", bot + "/sources");
  expect_refused("POST", bot + "/sources", R"({"name":"x.md","content":"# x\n\ninjected"})");
  expect_refused("POST", bot + "/sources/crawl", R"({"url":"https://example.com/"})");
  expect_refused("GET", bot + "/sources/" + b_source_ + "/documents");
  expect_refused("GET", bot + "/sources/" + b_source_ + "/syncs");
  expect_refused("PATCH", bot + "/sources/" + b_source_, R"({"name":"renamed"})");
  expect_refused("POST", bot + "/sources/" + b_source_ + "/sync");
  expect_refused("GET", bot + "/conversations");
  expect_refused("GET", bot + "/conversations/" + b_conversation_);
  expect_refused("GET", bot + "/conversations/export?format=json");
  expect_refused("GET", bot + "/conversations/export?format=csv");
  expect_refused("GET", bot + "/analytics");
  expect_refused("GET", bot + "/jobs");
  expect_refused("GET", bot + "/jobs/1");
  expect_refused("GET", bot + "/jobs/1/pages");
  expect_refused("POST", bot + "/jobs/1/cancel");
  expect_refused("GET", bot + "/report");
  expect_refused("GET", bot + "/widget");
  expect_refused("DELETE", bot + "/sources/" + b_source_);
  expect_refused("DELETE", bot);
  // A's own bot with B's object ids (the id is right, the parent is not A's): refused as well.
  expect_refused("GET", "/api/v1/bots/" + a_bot_ + "/conversations/" + b_conversation_);
  expect_refused("GET", "/api/v1/bots/" + a_bot_ + "/sources/" + b_source_ + "/documents");
  expect_refused("DELETE", "/api/v1/bots/" + a_bot_ + "/sources/" + b_source_);
  // B's things are all still there.
  const auto b_view = client_->request("GET", bot + "/sources", "", auth(key_b_));
  EXPECT_EQ(b_view.status, 200);
  EXPECT_THAT(b_view.body, HasSubstr(b_source_));
  EXPECT_THAT(client_->request("GET", bot, "", auth(key_b_)).body, HasSubstr(kMarker));
}

TEST_F(Isolation, NothingOfBLeaksIntoWhatACanSearchOrRead) {
  const std::string a = "/api/v1/bots/" + a_bot_;
  chat(a_bot_, {{"message", std::string("What is the launch code word ") + kMarker + "?"}});
  for (const std::string& target : {std::string("/api/v1/bots"), a, a + "/sources", a + "/conversations",
                                   a + "/conversations?q=" + kMarker, a + "/conversations?q=launch",
                                   a + "/conversations/export?format=json", a + "/conversations/export?format=csv",
                                   a + "/analytics", a + "/report", a + "/jobs", std::string("/api/v1/auth/me")}) {
    const auto result = client_->request("GET", target, "", auth(key_a_));
    EXPECT_LT(result.status, 500) << target;
    EXPECT_THAT(result.body, Not(HasSubstr(b_bot_))) << target;
    EXPECT_THAT(result.body, Not(HasSubstr(b_source_))) << target;
    // The visitor of A asked with the marker, so A's own transcripts may hold it; B's answer text may not.
    EXPECT_THAT(result.body, Not(HasSubstr("launch code word is"))) << target;
  }
  // A's bot cannot answer from B's content.
  const auto answer = chat(a_bot_, {{"message", "What is the launch code word?"}});
  EXPECT_THAT(answer.body, Not(HasSubstr(kMarker)));
  EXPECT_THAT(answer.body, Not(HasSubstr("90 days")));
}

TEST_F(Isolation, VisitorTokensOpenOnlyTheirOwnConversation) {
  // B's visitor token is bound to B's bot: it neither opens a conversation of A's bot nor continues one there.
  const auto a_reply = chat(a_bot_, {{"message", "How long do returns take?"}});
  ASSERT_EQ(a_reply.status, 200);
  const auto wrong_bot = client_->request("GET", "/api/v1/widget/" + a_bot_ + "/conversation", "",
                                          {{"X-Visitor-Token", b_visitor_token_}});
  EXPECT_TRUE(wrong_bot.status == 401 || wrong_bot.status == 403 || wrong_bot.status == 404) << wrong_bot.body;
  EXPECT_THAT(wrong_bot.body, Not(HasSubstr(kMarker)));
  const auto continued = chat(a_bot_, {{"message", "and then?"}, {"visitor_token", b_visitor_token_}});
  EXPECT_GE(continued.status, 400);
  EXPECT_THAT(continued.body, Not(HasSubstr(kMarker)));
  // A guessed conversation id of B's, sent to A's bot, is not B's conversation.
  const auto guessed = chat(a_bot_, {{"message", "hello"}, {"conversation_id", b_conversation_}});
  EXPECT_GE(guessed.status, 400);
  EXPECT_THAT(guessed.body, Not(HasSubstr(kMarker)));
  // A tampered token is refused.
  std::string tampered = b_visitor_token_;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  const auto forged = client_->request("GET", "/api/v1/widget/" + b_bot_ + "/conversation", "", {{"X-Visitor-Token", tampered}});
  EXPECT_GE(forged.status, 400);
  EXPECT_THAT(forged.body, Not(HasSubstr(kMarker)));
}

TEST_F(Isolation, NoKeyNoAdminData) {
  for (const std::string& target : {std::string("/api/v1/bots"), "/api/v1/bots/" + b_bot_,
                                   "/api/v1/bots/" + b_bot_ + "/conversations", "/api/v1/bots/" + b_bot_ + "/sources"}) {
    const auto result = client_->request("GET", target);
    EXPECT_EQ(result.status, 401) << target;
    EXPECT_THAT(result.body, Not(HasSubstr(kMarker)));
    const auto forged = client_->request("GET", target, "", auth("pk_forged_0000000000000000000000000000"));
    EXPECT_EQ(forged.status, 401) << target;
  }
  // The public widget config shows no secrets (instructions, allowed domains, thresholds).
  patch_settings(key_b_, b_bot_, {{"instructions", std::string("never reveal ") + kMarker}, {"allowed_domains", {"shop.example"}}});
  const auto config = client_->request("GET", "/api/v1/widget/" + b_bot_ + "/config");
  EXPECT_EQ(config.status, 200);
  EXPECT_THAT(config.body, Not(HasSubstr("never reveal")));
  EXPECT_THAT(config.body, Not(HasSubstr("shop.example")));
}

}  // namespace
}  // namespace parley::security_test
