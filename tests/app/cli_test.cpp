#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/http_client.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace parley {
namespace {

using ::testing::HasSubstr;
using testing::run_process;

class CliTest : public ::testing::Test {
 protected:
  testing::ProcessResult parley(std::vector<std::string> args) {
    args.insert(args.begin(), {PARLEY_BINARY, "--data", data()});
    return run_process(args);
  }
  std::string data() const { return dir_.file("data"); }
  std::string write(const std::string& name, const std::string& content) {
    const std::string path = dir_.file(name);
    std::ofstream(path) << content;
    return path;
  }
  testing::TempDir dir_;
};

TEST_F(CliTest, InitCreatesTheWorkspaceKeyAndDemoOnlyOnce) {
  const auto init = parley({"init", "--demo", "--json"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const auto out = nlohmann::json::parse(init.out);
  EXPECT_TRUE(out["api_key"].get<std::string>().starts_with("pk_"));
  EXPECT_TRUE(out["demo_bot_id"].get<std::string>().starts_with("bot_"));
  const auto again = parley({"init"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("already initialised"));
  // The demo bot answers from the demo knowledge base, with the documented JSON contract.
  const auto ask = parley({"ask", "--bot", out["demo_bot_id"], "--json", "How much does a hydraulic brake bleed cost?"});
  ASSERT_EQ(ask.exit_code, 0) << ask.err;
  const auto answer = nlohmann::json::parse(ask.out);
  for (const char* key : {"answer", "mode", "confidence", "sources"}) EXPECT_TRUE(answer.contains(key)) << key;
  EXPECT_THAT(answer["answer"].get<std::string>(), HasSubstr("$45"));
  ASSERT_FALSE(answer["sources"].empty());
  for (const char* key : {"title", "url", "snippet", "score"}) EXPECT_TRUE(answer["sources"][0].contains(key)) << key;
}

TEST_F(CliTest, EvalAddRunListAndRemoveABotsTestSuite) {
  const auto init = parley({"init", "--demo", "--json"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const std::string bot = nlohmann::json::parse(init.out)["demo_bot_id"];

  // Bad input: a clear error, exit status 1, nothing added.
  const auto no_expectation = parley({"eval", "add", "--bot", bot, "--question", "How much is a brake bleed?"});
  EXPECT_EQ(no_expectation.exit_code, 1);
  EXPECT_THAT(no_expectation.err, HasSubstr("needs an expectation"));
  const auto empty_question = parley({"eval", "add", "--bot", bot, "--question", " ", "--expect-decline"});
  EXPECT_EQ(empty_question.exit_code, 1);
  EXPECT_THAT(empty_question.err, HasSubstr("the question is empty"));
  const auto unknown_bot = parley({"eval", "add", "--bot", "bot_unknown", "--question", "Hi?", "--expect-decline"});
  EXPECT_EQ(unknown_bot.exit_code, 1);
  EXPECT_THAT(unknown_bot.err, HasSubstr("no such bot"));
  EXPECT_EQ(parley({"eval", "list", "--bot", bot, "--json"}).out, "[]\n");

  const auto brakes = parley({"eval", "add", "--bot", bot, "--question", "How much does a hydraulic brake bleed cost?",
                              "--expect-text", "$45", "--expect-source", "service"});
  ASSERT_EQ(brakes.exit_code, 0) << brakes.err;
  const std::string brakes_id = brakes.out.substr(0, brakes.out.find('\n'));
  EXPECT_TRUE(brakes_id.starts_with("case_")) << brakes.out;

  const auto passing = parley({"eval", "run", "--bot", bot, "--json"});
  ASSERT_EQ(passing.exit_code, 0) << passing.err << passing.out;
  const auto first = nlohmann::json::parse(passing.out);
  EXPECT_EQ(first["passed"], 1);
  EXPECT_EQ(first["failed"], 0);
  ASSERT_EQ(first["cases"].size(), 1u);
  for (const char* key : {"question", "expectations", "passed", "answer", "sources", "previous", "changed"}) {
    EXPECT_TRUE(first["cases"][0].contains(key)) << key;
  }
  EXPECT_THAT(first["cases"][0]["answer"].get<std::string>(), HasSubstr("$45"));

  // A case the bot fails makes `eval run` exit with status 4, and the text report says why.
  const auto failing = parley({"eval", "add", "--bot", bot, "--question", "How much does a hydraulic brake bleed cost?",
                               "--expect-decline"});
  ASSERT_EQ(failing.exit_code, 0) << failing.err;
  const auto report = parley({"eval", "run", "--bot", bot});
  EXPECT_EQ(report.exit_code, 4) << report.err;
  EXPECT_THAT(report.out, HasSubstr("PASS  " + brakes_id));
  EXPECT_THAT(report.out, HasSubstr("expected a decline"));
  EXPECT_THAT(report.out, HasSubstr("1 passed, 1 failed"));

  const auto listed = nlohmann::json::parse(parley({"eval", "list", "--bot", bot, "--json"}).out);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0]["last"]["passed"], true);
  EXPECT_EQ(listed[1]["last"]["passed"], false);

  const auto unknown_case = parley({"eval", "remove", "--bot", bot, "case_unknown"});
  EXPECT_EQ(unknown_case.exit_code, 1);
  EXPECT_THAT(unknown_case.err, HasSubstr("no test case case_unknown"));
  const std::string failing_id = failing.out.substr(0, failing.out.find('\n'));
  ASSERT_EQ(parley({"eval", "remove", "--bot", bot, failing_id}).exit_code, 0);
  const auto again = nlohmann::json::parse(parley({"eval", "run", "--bot", bot, "--json"}).out);
  EXPECT_EQ(again["failed"], 0);
  EXPECT_EQ(again["cases"][0]["previous"]["passed"], true);
  EXPECT_EQ(again["cases"][0]["changed"], false);
}

// Questions the demo bot declined on a real server become suggestions; `parley suggestions answer` teaches the bot
// (and adds a test); `parley qa` lists, edits and removes curated pairs.
TEST_F(CliTest, SuggestionsAnswerAndQaPairs) {
  const auto init = parley({"init", "--demo", "--json"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const std::string bot = nlohmann::json::parse(init.out)["demo_bot_id"];
  {
    testing::BackgroundProcess server({PARLEY_BINARY, "--data", data(), "serve", "--port", "0"});
    const std::string banner = server.wait_for_output("/healthz", std::chrono::seconds(20));
    std::smatch match;
    ASSERT_TRUE(std::regex_search(banner, match, std::regex("listening on http://127\\.0\\.0\\.1:(\\d+)"))) << banner;
    testing::HttpClient client(static_cast<unsigned short>(std::stoi(match[1])));
    for (const char* question : {"Do you sponsor football teams?", "football team sponsoring", "Do you sponsor football teams?"}) {
      const auto chat = client.request("POST", "/api/v1/bots/" + bot + "/chat", nlohmann::json{{"message", question}}.dump(),
                                       {{"Content-Type", "application/json"}});
      ASSERT_EQ(chat.status, 200);
      ASSERT_EQ(chat.json()["mode"], "fallback") << question << ": " << chat.body;
    }
    EXPECT_EQ(server.stop(SIGTERM), 0);
  }

  const auto listed = parley({"suggestions", "--bot", bot, "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const auto suggestions = nlohmann::json::parse(listed.out);
  ASSERT_EQ(suggestions.size(), 1u) << listed.out;
  EXPECT_EQ(suggestions[0]["question"], "Do you sponsor football teams?");
  EXPECT_EQ(suggestions[0]["count"], 3);
  EXPECT_EQ(suggestions[0]["examples"].size(), 2u);
  const std::string id = suggestions[0]["id"];
  const auto text = parley({"suggestions", "--bot", bot});
  EXPECT_THAT(text.out, HasSubstr(id + "  3x  Do you sponsor football teams?"));
  EXPECT_THAT(text.out, HasSubstr("also: football team sponsoring"));

  // Bad input: a clear error, exit status 1, nothing changed.
  const auto empty = parley({"suggestions", "answer", "--bot", bot, id, "--answer", " "});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_THAT(empty.err, HasSubstr("the answer is empty"));
  const auto unknown = parley({"suggestions", "answer", "--bot", bot, "sg_0000000000000000", "--answer", "No."});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no such suggestion"));
  const auto unknown_bot = parley({"suggestions", "--bot", "bot_unknown"});
  EXPECT_EQ(unknown_bot.exit_code, 1);
  EXPECT_THAT(unknown_bot.err, HasSubstr("no such bot"));
  EXPECT_EQ(parley({"qa", "list", "--bot", bot, "--json"}).out, "[]\n");
  EXPECT_EQ(parley({"eval", "list", "--bot", bot, "--json"}).out, "[]\n");

  const auto answered = parley({"suggestions", "answer", "--bot", bot, id, "--answer",
                                "We sponsor the Leeds junior cycling club, not football teams.", "--test", "--json"});
  ASSERT_EQ(answered.exit_code, 0) << answered.err;
  const auto pair = nlohmann::json::parse(answered.out)["pair"];
  EXPECT_EQ(parley({"suggestions", "--bot", bot, "--json"}).out, "[]\n");
  const auto taught = parley({"ask", "--bot", bot, "--json", "Do you sponsor football teams?"});
  ASSERT_EQ(taught.exit_code, 0) << taught.err;
  EXPECT_EQ(nlohmann::json::parse(taught.out)["mode"], "faq");
  EXPECT_EQ(nlohmann::json::parse(taught.out)["answer"], "We sponsor the Leeds junior cycling club, not football teams.");
  const auto run = parley({"eval", "run", "--bot", bot, "--json"});
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(nlohmann::json::parse(run.out)["passed"], 1);
  const auto again = parley({"suggestions", "answer", "--bot", bot, id, "--answer", "Again."});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("no such suggestion"));

  const auto added = parley({"qa", "add", "--bot", bot, "--question", "Do you rent tandems?", "--answer", "Yes, 40 euros a day."});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const std::string tandems = added.out.substr(0, added.out.find('\n'));
  const auto pairs = nlohmann::json::parse(parley({"qa", "list", "--bot", bot, "--json"}).out);
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0]["id"], pair["id"]);
  EXPECT_EQ(pairs[1]["id"], tandems);
  ASSERT_EQ(parley({"qa", "edit", "--bot", bot, tandems, "--answer", "Yes, 45 euros a day."}).exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(parley({"ask", "--bot", bot, "--json", "Do you rent tandems?"}).out)["answer"],
            "Yes, 45 euros a day.");
  EXPECT_EQ(parley({"qa", "edit", "--bot", bot, tandems}).exit_code, 1);
  EXPECT_THAT(parley({"qa", "edit", "--bot", bot, "doc_unknown", "--answer", "x"}).err, HasSubstr("no such Q&A pair"));
  ASSERT_EQ(parley({"qa", "remove", "--bot", bot, tandems}).exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(parley({"qa", "list", "--bot", bot, "--json"}).out).size(), 1u);
  EXPECT_EQ(parley({"qa", "remove", "--bot", bot, tandems}).exit_code, 1);
}

TEST_F(CliTest, CommandsWithoutInitExplainWhatToDo) {
  const auto ask = parley({"ask", "--bot", "bot_x", "hello"});
  EXPECT_EQ(ask.exit_code, 1);
  EXPECT_THAT(ask.err, HasSubstr("parley init"));
  const auto unknown = parley({"no-such-command"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_THAT(unknown.err, HasSubstr("no-such-command"));
}

TEST_F(CliTest, ModelPullDownloadsOnlyFromTheAllowedSources) {
  ASSERT_EQ(parley({"init"}).exit_code, 0);
  {
    std::ofstream config(data() + "/parley.toml", std::ios::app);
    config << "\n[engine]\nallowed_model_sources = [\"https://models.example.org/approved/\"]\n";
  }
  const std::string digest(64, 'a');
  const std::string out = dir_.file("model.gguf");
  // Refused by the policy before any connection is made (the host does not exist).
  const auto refused = parley({"model", "pull", "https://elsewhere.example.net/m.gguf", "--sha256", digest, "--out", out});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("allowed_model_sources"));
  const auto sibling = parley({"model", "pull", "https://models.example.org/other/m.gguf", "--sha256", digest, "--out", out});
  EXPECT_THAT(sibling.err, HasSubstr("allowed_model_sources"));
  // An allowed source gets past the policy (and then fails to connect: this machine has no such host).
  const auto allowed = parley({"model", "pull", "https://models.example.org/approved/m.gguf", "--sha256", digest, "--out", out});
  EXPECT_EQ(allowed.exit_code, 1);
  EXPECT_THAT(allowed.err, ::testing::Not(HasSubstr("allowed_model_sources")));
}

TEST_F(CliTest, BotCreateSourceAddAndAsk) {
  ASSERT_EQ(parley({"init"}).exit_code, 0);
  const auto created = parley({"bot", "create", "--name", "Docs"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string bot = created.out.substr(0, created.out.find('\n'));
  EXPECT_TRUE(std::regex_match(bot, std::regex("bot_[a-z2-7]{20}")));
  const std::string good = write("returns.md", "# Returns\n\nYou may return unused items within 30 days for a refund.\n");
  const std::string bad = write("broken.csv", "question,answer\n\"never closed\n");
  const auto added = parley({"source", "add", "--bot", bot, good, bad});
  EXPECT_EQ(added.exit_code, 1);  // one file failed...
  EXPECT_THAT(added.out, HasSubstr("added " + good));  // ...the other was still added
  EXPECT_THAT(added.err, HasSubstr("broken.csv"));
  const auto again = parley({"source", "add", "--bot", bot, good});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_THAT(again.out, HasSubstr("unchanged"));
  const auto ask = parley({"ask", "--bot", bot, "--json", "Can I return an unused item for a refund?"});
  ASSERT_EQ(ask.exit_code, 0) << ask.err;
  const auto answer = nlohmann::json::parse(ask.out);
  EXPECT_EQ(answer["mode"], "extractive");
  EXPECT_THAT(answer["answer"].get<std::string>(), HasSubstr("30 days"));
  EXPECT_EQ(answer["sources"][0]["url"], "returns.md");
}

TEST_F(CliTest, KeysAreCreatedListedAndRevoked) {
  ASSERT_EQ(parley({"init"}).exit_code, 0);
  const auto created = parley({"key", "create", "--name", "ci", "--role", "viewer", "--json"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const auto key = nlohmann::json::parse(created.out);
  const auto list = parley({"key", "list", "--json"});
  const auto keys = nlohmann::json::parse(list.out);
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(list.out.find(key["key"].get<std::string>()), std::string::npos);  // secrets never listed
  EXPECT_EQ(parley({"key", "revoke", key["id"]}).exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(parley({"key", "list", "--json"}).out)[1]["revoked"], true);
  EXPECT_EQ(parley({"key", "create", "--role", "emperor"}).exit_code, 1);
}

TEST_F(CliTest, ServeAnswersOnARealPortAndStopsOnSigterm) {
  const auto init = parley({"init", "--demo", "--json"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const auto ids = nlohmann::json::parse(init.out);
  testing::BackgroundProcess server({PARLEY_BINARY, "--data", data(), "serve", "--port", "0"});
  const std::string banner = server.wait_for_output("/healthz", std::chrono::seconds(20));
  std::smatch match;
  ASSERT_TRUE(std::regex_search(banner, match, std::regex("listening on http://127\\.0\\.0\\.1:(\\d+)"))) << banner;
  EXPECT_THAT(banner, HasSubstr("/demo"));
  testing::HttpClient client(static_cast<unsigned short>(std::stoi(match[1])));
  const auto page = client.request("GET", "/demo");
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr(ids["demo_bot_id"].get<std::string>()));
  const auto chat = client.request("POST", "/api/v1/bots/" + ids["demo_bot_id"].get<std::string>() + "/chat",
                                   R"({"message":"How much does a hydraulic brake bleed cost?"})",
                                   {{"Content-Type", "application/json"}});
  EXPECT_EQ(chat.status, 200);
  EXPECT_THAT(chat.json()["answer"].get<std::string>(), HasSubstr("$45"));
  const auto bots = client.request("GET", "/api/v1/bots", "", {{"Authorization", "Bearer " + ids["api_key"].get<std::string>()}});
  EXPECT_EQ(bots.status, 200);
  EXPECT_EQ(bots.json()["bots"].size(), 1u);
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

// Data governance from the command line (issue 17): a visitor's rated conversation (made through the real server)
// exported for fine-tuning, redacted unless told otherwise, then erased; the retention setting and a run.
TEST_F(CliTest, GovernanceExportEraseAndRetention) {
  const auto init = parley({"init", "--demo", "--json"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const std::string bot = nlohmann::json::parse(init.out)["demo_bot_id"];
  std::string conversation;
  {
    testing::BackgroundProcess server({PARLEY_BINARY, "--data", data(), "serve", "--port", "0"});
    const std::string banner = server.wait_for_output("/healthz", std::chrono::seconds(20));
    std::smatch match;
    ASSERT_TRUE(std::regex_search(banner, match, std::regex("listening on http://127\\.0\\.0\\.1:(\\d+)"))) << banner;
    testing::HttpClient client(static_cast<unsigned short>(std::stoi(match[1])));
    const auto chat = client.request("POST", "/api/v1/bots/" + bot + "/chat",
                                     R"({"message":"How much does a brake bleed cost? I am jo@example.org"})",
                                     {{"Content-Type", "application/json"}});
    ASSERT_EQ(chat.status, 200) << chat.body;
    conversation = chat.json()["conversation_id"];
    const auto rated = client.request("POST", "/api/v1/widget/" + bot + "/feedback",
                                      nlohmann::json{{"message_id", chat.json()["message_id"]}, {"rating", 1}}.dump(),
                                      {{"Content-Type", "application/json"},
                                       {"X-Visitor-Token", chat.json()["visitor_token"].get<std::string>()}});
    ASSERT_EQ(rated.status, 200) << rated.body;
    EXPECT_EQ(server.stop(SIGTERM), 0);
  }

  const auto exported = parley({"conversations", "export-finetune", "--bot", bot});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const auto line = nlohmann::json::parse(exported.out.substr(0, exported.out.find('\n')));
  EXPECT_EQ(line["messages"][0]["role"], "system");
  EXPECT_EQ(line["messages"][1]["content"], "How much does a brake bleed cost? I am [EMAIL]");
  EXPECT_EQ(line["messages"][2]["role"], "assistant");
  const std::string file = dir_.file("train.jsonl");
  const auto raw = parley({"conversations", "export-finetune", "--bot", bot, "--no-redact", "--include-negative", "-o", file});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_THAT(raw.err, HasSubstr("1 conversations written"));
  std::stringstream written;
  written << std::ifstream(file).rdbuf();
  EXPECT_THAT(written.str(), HasSubstr("jo@example.org"));
  EXPECT_EQ(parley({"conversations", "export-finetune", "--bot", "bot_unknown"}).exit_code, 1);

  const auto bad_email = parley({"erase", "--email", "jo"});
  EXPECT_EQ(bad_email.exit_code, 1);
  EXPECT_THAT(bad_email.err, HasSubstr("not an email address"));
  EXPECT_NE(parley({"erase", "--visitor", conversation, "--email", "jo@example.org"}).exit_code, 0);
  const auto erased = parley({"erase", "--visitor", conversation, "--json"});
  ASSERT_EQ(erased.exit_code, 0) << erased.err;
  const auto counts = nlohmann::json::parse(erased.out);
  EXPECT_EQ(counts["conversations"], 1);
  EXPECT_EQ(counts["messages"], 2);
  EXPECT_EQ(counts["nothing_to_erase"], false);
  const auto again = parley({"erase", "--visitor", conversation});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("nothing to erase"));
  EXPECT_EQ(parley({"conversations", "export-finetune", "--bot", bot}).out, "");

  EXPECT_THAT(parley({"workspace", "retention"}).out, HasSubstr("conversations: kept forever"));
  const auto negative = parley({"workspace", "retention", "--conversations-days", "-5"});
  EXPECT_EQ(negative.exit_code, 1);
  EXPECT_THAT(negative.err, HasSubstr("cannot be negative"));
  const auto set = parley({"workspace", "retention", "--conversations-days", "30", "--leads-days", "365", "--run", "--json"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  const auto view = nlohmann::json::parse(set.out);
  EXPECT_EQ(view["conversations_days"], 30);
  EXPECT_EQ(view["leads_days"], 365);
  EXPECT_EQ(view["deleted"]["conversations"], 0);  // nothing is a month old
  EXPECT_THAT(parley({"workspace", "retention"}).out, HasSubstr("conversations: 30 days"));
}

}  // namespace
}  // namespace parley

namespace parley {
namespace {

// A process killed with SIGKILL in the middle of a load loses no acknowledged answer and leaves a consistent
// database: every conversation the client got back is in the store, with both of its messages.
TEST_F(CliTest, KillNineUnderLoadLosesNothingAcknowledged) {
  const auto init = parley({"init", "--demo", "--json"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const std::string bot = nlohmann::json::parse(init.out)["demo_bot_id"];
  std::vector<std::string> acknowledged;
  {
    testing::BackgroundProcess server({PARLEY_BINARY, "--data", data(), "serve", "--port", "0"});
    const std::string banner = server.wait_for_output("/healthz", std::chrono::seconds(20));
    std::smatch match;
    ASSERT_TRUE(std::regex_search(banner, match, std::regex("127\\.0\\.0\\.1:(\\d+)")));
    const auto port = static_cast<unsigned short>(std::stoi(match[1]));
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([&] {
        try {
          testing::HttpClient client(port);
          while (!stop) {
            const auto reply = client.request("POST", "/api/v1/bots/" + bot + "/chat",
                                              R"({"message":"How much is shipping?"})", {{"Content-Type", "application/json"}});
            if (reply.status != 200) continue;
            std::lock_guard lock(mutex);
            acknowledged.push_back(reply.json()["conversation_id"]);
          }
        } catch (const std::exception&) {
          // The connection dies with the server: expected.
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    server.stop(SIGKILL);
    stop = true;
    for (auto& thread : clients) thread.join();
  }
  ASSERT_GT(acknowledged.size(), 10u);
  // Reopen through the CLI's own store code: the admin API is the judge of what is stored.
  testing::BackgroundProcess server({PARLEY_BINARY, "--data", data(), "serve", "--port", "0"});
  const std::string banner = server.wait_for_output("/healthz", std::chrono::seconds(20));
  std::smatch match;
  ASSERT_TRUE(std::regex_search(banner, match, std::regex("127\\.0\\.0\\.1:(\\d+)")));
  testing::HttpClient client(static_cast<unsigned short>(std::stoi(match[1])));
  const std::string key = nlohmann::json::parse(init.out)["api_key"];
  for (const auto& id : acknowledged) {
    const auto transcript = client.request("GET", "/api/v1/bots/" + bot + "/conversations/" + id, "",
                                           {{"Authorization", "Bearer " + key}});
    ASSERT_EQ(transcript.status, 200) << id;
    ASSERT_EQ(transcript.json()["messages"].size(), 2u) << id;
  }
  const auto integrity = run_process({"/usr/bin/sqlite3", dir_.file("data") + "/parley.db", "PRAGMA integrity_check;"});
  EXPECT_EQ(integrity.out, "ok\n");
}

// Garbage on the socket — random bytes, truncated requests, absurd headers — never takes the server down.
TEST_F(CliTest, HostileTrafficDoesNotCrashTheServer) {
  ASSERT_EQ(parley({"init", "--demo"}).exit_code, 0);
  testing::BackgroundProcess server({PARLEY_BINARY, "--data", data(), "serve", "--port", "0"});
  const std::string banner = server.wait_for_output("/healthz", std::chrono::seconds(20));
  std::smatch match;
  ASSERT_TRUE(std::regex_search(banner, match, std::regex("127\\.0\\.0\\.1:(\\d+)")));
  const auto port = static_cast<unsigned short>(std::stoi(match[1]));
  std::mt19937 random(42);
  const std::vector<std::string> shapes = {
      "POST /api/v1/bots/x/chat HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
      "POST /api/v1/bots/x/chat HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
      "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  // a TLS hello
      "GET /healthz HTTP/1.1\r\nHost: " + std::string(70000, 'a') + "\r\n\r\n",
  };
  for (int i = 0; i < 150; ++i) {
    std::string bytes = shapes[static_cast<std::size_t>(i) % shapes.size()];
    if (i % 3 == 0) {
      bytes.resize(random() % (bytes.size() + 1));
      for (int j = 0; j < 8; ++j) bytes += static_cast<char>(random() % 256);
    }
    testing::HttpClient(port).raw(bytes, std::chrono::milliseconds(50));
  }
  const auto health = testing::HttpClient(port).request("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace parley
