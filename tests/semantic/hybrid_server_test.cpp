// Hybrid retrieval as an operator runs it: the real `parley` binary with [engine] embedding_model in parley.toml, a
// real socket and SQLite file. Answers come at once while the embedding job catches up in the background; progress
// shows in the job, the report (API and CLI) and /readyz; vectors survive a restart; a new model embeds again; a
// missing, corrupt or wrong model, or damaged vectors, leave the server answering lexically with a warning.
#include <sqlite3.h>

#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/http_client.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace parley::semantic {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

constexpr const char* kGuide =
    "# Shipping\n\nStandard shipping is free on orders over $75 and takes 3-5 business days.\n\n"
    "## Returns\n\nUnused bikes can be returned within 30 days for a full refund.\n\n"
    "## Batteries\n\nA full charge takes about five hours with the standard charger. Store the battery indoors "
    "over winter, charged to about 60 percent.\n\n"
    "## Warranty\n\nFrames carry a lifetime warranty; electrical parts two years.\n";

std::string model_file(const std::string& name) { return std::string(PARLEY_SHARED_DIR) + "/models/" + name; }

class HybridServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto init = testing::run_process({PARLEY_BINARY, "--data", data(), "init", "--json"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    key_ = Json::parse(init.out).value("api_key", "");
    config_ = read_file(data() + "/parley.toml");
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  std::string data() { return dir_.file("data"); }
  static std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  void use_model(const std::string& path) {
    std::ofstream(data() + "/parley.toml", std::ios::trunc)
        << config_ << "\n[engine]\nembedding_model = \"" << path << "\"\nthreads = 2\n";
  }
  void start() {
    server_ = std::make_unique<testing::BackgroundProcess>(
        std::vector<std::string>{PARLEY_BINARY, "--data", data(), "serve", "--port", "0"});
    const std::string out = server_->wait_for_output("Health:", std::chrono::seconds(60));
    const auto at = out.find("http://127.0.0.1:");
    ASSERT_NE(at, std::string::npos) << out << server_->stderr_text();
    client_ = std::make_unique<testing::HttpClient>(static_cast<unsigned short>(std::stoi(out.substr(at + 17))));
  }
  void stop() {
    EXPECT_EQ(server_->stop(), 0);
    server_.reset();
  }
  std::map<std::string, std::string> auth() { return {{"Authorization", "Bearer " + key_}}; }
  testing::HttpResult get(const std::string& target) { return client_->request("GET", target, "", auth()); }
  std::string create_bot() {
    auto headers = auth();
    headers["Content-Type"] = "application/json";
    const auto created = client_->request("POST", "/api/v1/bots", R"({"name":"Shop"})", headers);
    EXPECT_EQ(created.status, 201) << created.body;
    return created.json().value("id", "");
  }
  void upload(const std::string& bot, const std::string& name, const std::string& content) {
    auto headers = auth();
    headers["Content-Type"] = "text/markdown";
    const auto added = client_->request("POST", "/api/v1/bots/" + bot + "/sources?name=" + name, content, headers);
    ASSERT_EQ(added.status, 201) << added.body;
  }
  Json ask(const std::string& bot, const std::string& question) {
    const auto answer = client_->request("POST", "/api/v1/bots/" + bot + "/chat", Json{{"message", question}}.dump(),
                                         {{"Content-Type", "application/json"}});
    EXPECT_EQ(answer.status, 200) << answer.body;
    return answer.json();
  }
  // Polls the report until `done` holds for it (or 60 s pass); returns the last report.
  Json report_when(const std::string& bot, const std::function<bool(const Json&)>& done) {
    Json report;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      report = get("/api/v1/bots/" + bot + "/report").json();
      if (done(report)) return report;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return report;
  }
  static bool embedded(const Json& report) {
    const auto& semantic = report["semantic"];
    return semantic.value("chunks", -1) > 0 && semantic.value("embedded_chunks", 0) == semantic.value("chunks", -1) &&
           semantic.contains("index") && semantic["index"].value("vectors", 0) == semantic.value("chunks", -1);
  }
  Json embed_jobs(const std::string& bot) {
    Json out = Json::array();
    const Json listed = get("/api/v1/bots/" + bot + "/jobs").json();  // alive for the loop (not a temporary's member)
    for (const auto& job : listed["jobs"]) {
      if (job["kind"] == "embed") out.push_back(job);
    }
    return out;
  }

  testing::TempDir dir_;
  std::string key_, config_;
  std::unique_ptr<testing::BackgroundProcess> server_;
  std::unique_ptr<testing::HttpClient> client_;
};

TEST_F(HybridServerTest, AnswersAtOnceWhileVectorsCatchUpAndShowTheirProgress) {
  use_model(model_file("tiny-bert-f16.gguf"));
  start();
  const auto ready = get("/readyz").json();
  EXPECT_EQ(ready["semantic"]["status"], "ready");
  EXPECT_EQ(ready["semantic"]["model"], "tiny-bert-f16");
  EXPECT_EQ(ready["semantic"]["dimensions"], 256);
  EXPECT_TRUE(ready["warnings"].empty());
  const std::string bot = create_bot();
  upload(bot, "guide.md", kGuide);
  // The answer does not wait for vectors.
  const auto answer = ask(bot, "How long does charging the battery take?");
  EXPECT_THAT(answer.value("answer", ""), HasSubstr("five hours"));
  const auto report = report_when(bot, embedded);
  ASSERT_TRUE(embedded(report)) << report["semantic"].dump();
  EXPECT_EQ(report["summary"]["embedded_chunks"], report["summary"]["chunks"]);
  EXPECT_EQ(report["semantic"]["status"], "ready");
  EXPECT_EQ(report["semantic"]["model"], "tiny-bert-f16");
  EXPECT_EQ(report["semantic"]["model_hash"].get<std::string>().size(), 64u);
  const auto jobs = embed_jobs(bot);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["trigger"], "auto");
  EXPECT_EQ(jobs[0]["state"], "succeeded");
  EXPECT_EQ(jobs[0]["result"]["embedded"], report["summary"]["chunks"]);
  EXPECT_EQ(jobs[0]["progress"]["chunks"], report["summary"]["chunks"]);
  // Hybrid answers as before.
  EXPECT_THAT(ask(bot, "How long does charging the battery take?").value("answer", ""), HasSubstr("five hours"));
  // The CLI report says the same.
  const auto cli = testing::run_process({PARLEY_BINARY, "--data", data(), "source", "report", "--bot", bot, "--json"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  const auto printed = Json::parse(cli.out);
  EXPECT_EQ(printed["summary"]["chunks"], report["summary"]["chunks"]);
  EXPECT_EQ(printed["summary"]["embedded_chunks"], report["summary"]["chunks"]);
  EXPECT_EQ(printed["semantic"]["status"], "ready");
  // New knowledge is embedded too.
  upload(bot, "helmets.md", "# Helmets\n\nA helmet is included with every bike we sell.\n");
  const auto grown = report_when(bot, [&](const Json& r) {
    return embedded(r) && r["semantic"]["chunks"].get<int>() > report["semantic"]["chunks"].get<int>();
  });
  EXPECT_TRUE(embedded(grown)) << grown["semantic"].dump();
}

TEST_F(HybridServerTest, VectorsSurviveARestartAndANewModelEmbedsAgain) {
  use_model(model_file("tiny-bert-f16.gguf"));
  start();
  const std::string bot = create_bot();
  upload(bot, "guide.md", kGuide);
  const auto first = report_when(bot, embedded);
  ASSERT_TRUE(embedded(first));
  stop();

  start();  // same model: the vectors are loaded, nothing is embedded again
  const auto again = report_when(bot, embedded);
  ASSERT_TRUE(embedded(again)) << again["semantic"].dump();
  EXPECT_EQ(again["semantic"]["model_hash"], first["semantic"]["model_hash"]);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // more than a scheduler pass
  EXPECT_EQ(embed_jobs(bot).size(), 1u);
  stop();

  use_model(model_file("tiny-bert-q8_0.gguf"));
  start();
  const auto other = report_when(bot, [](const Json& r) { return embedded(r) && r["semantic"]["model"] == "tiny-bert-q8_0"; });
  ASSERT_EQ(other["semantic"]["model"], "tiny-bert-q8_0") << other["semantic"].dump();
  EXPECT_TRUE(embedded(other)) << other["semantic"].dump();
  EXPECT_NE(other["semantic"]["model_hash"], first["semantic"]["model_hash"]);
  const auto jobs = embed_jobs(bot);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0]["result"]["model"], "tiny-bert-q8_0");
  EXPECT_EQ(jobs[0]["result"]["computed"], first["summary"]["chunks"]);
}

// Missing, corrupt, a text generation model, the wrong registered hash: the server starts, answers lexically, and
// says why in /readyz and the report; POST /v1/embeddings has no model.
TEST_F(HybridServerTest, AnUnusableModelFallsBackToLexicalWithAWarning) {
  const std::string corrupt = dir_.file("corrupt.gguf");
  std::ofstream(corrupt) << "GGUF\x03 not really a model";
  const std::string bot_setup_model = model_file("tiny-bert-f16.gguf");
  struct Case {
    std::string path;
    std::string extra;
    std::string why;
  };
  const std::vector<Case> cases = {
      {dir_.file("missing.gguf"), "", "does not exist"},
      {corrupt, "", corrupt},
      {model_file("tiny-llama-q8_0.gguf"), "", "not an embedding (BERT-family) model"},
      {bot_setup_model, "embedding_model_sha256 = \"" + std::string(64, 'a') + "\"\n", "SHA-256"},
  };
  std::string bot;
  for (const auto& c : cases) {
    std::ofstream(data() + "/parley.toml", std::ios::trunc)
        << config_ << "\n[engine]\nembedding_model = \"" << c.path << "\"\nthreads = 1\n" << c.extra;
    start();
    const auto ready = get("/readyz");
    ASSERT_EQ(ready.status, 200);
    const auto body = ready.json();
    EXPECT_EQ(body["status"], "ready");
    EXPECT_EQ(body["semantic"]["status"], "unavailable") << c.path;
    ASSERT_EQ(body["warnings"].size(), 1u) << body.dump();
    EXPECT_THAT(body["warnings"][0].get<std::string>(), HasSubstr("answers use lexical retrieval only"));
    // Anyone may read /readyz: it names no file and no error text; the report (members only) says why.
    EXPECT_FALSE(body["semantic"].contains("error"));
    EXPECT_THAT(ready.body, Not(HasSubstr(c.path)));
    if (bot.empty()) {
      bot = create_bot();
      upload(bot, "guide.md", kGuide);
    }
    EXPECT_THAT(ask(bot, "How long does charging the battery take?").value("answer", ""), HasSubstr("five hours"));
    const auto report = get("/api/v1/bots/" + bot + "/report").json();
    EXPECT_EQ(report["semantic"]["status"], "unavailable");
    EXPECT_THAT(report["semantic"]["warning"].get<std::string>(), HasSubstr("lexical retrieval only"));
    EXPECT_THAT(report["semantic"]["error"].get<std::string>(), HasSubstr(c.why));
    EXPECT_EQ(report["summary"]["embedded_chunks"], 0);
    auto headers = auth();
    headers["Content-Type"] = "application/json";
    EXPECT_EQ(client_->request("POST", "/v1/embeddings", R"({"input":"hello"})", headers).status, 404);
    EXPECT_TRUE(embed_jobs(bot).empty());
    stop();
  }
}

// A damaged vector row (another width than the model's) turns semantic retrieval off for that bot, with the reason
// in /readyz and the report; its answers stay lexical.
TEST_F(HybridServerTest, DamagedVectorsAreReportedAndAnswersStayLexical) {
  use_model(model_file("tiny-bert-f16.gguf"));
  start();
  const std::string bot = create_bot();
  upload(bot, "guide.md", kGuide);
  ASSERT_TRUE(embedded(report_when(bot, embedded)));
  stop();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((data() + "/parley.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE chunk_vectors SET dimensions = 384, vector = zeroblob(1536) "
                             "WHERE chunk_id = (SELECT max(chunk_id) FROM chunk_vectors)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  start();
  const auto report = report_when(bot, [](const Json& r) { return r["semantic"].value("status", "") == "error"; });
  ASSERT_EQ(report["semantic"]["status"], "error") << report["semantic"].dump();
  EXPECT_THAT(report["semantic"]["error"].get<std::string>(), HasSubstr("have 384 dimensions where the model gives 256"));
  const auto ready = get("/readyz").json();
  ASSERT_EQ(ready["warnings"].size(), 1u);
  EXPECT_THAT(ready["warnings"][0].get<std::string>(), HasSubstr("1 bot cannot use its stored vectors"));
  EXPECT_EQ(ready["semantic"]["bots_with_errors"], 1);
  EXPECT_THAT(ready.dump(), Not(HasSubstr(bot)));  // public: no bot ids
  EXPECT_THAT(ask(bot, "How long does charging the battery take?").value("answer", ""), HasSubstr("five hours"));
}

// `parley bot embed` computes the vectors in the foreground; `parley ask` then answers with hybrid retrieval.
TEST_F(HybridServerTest, TheCliEmbedsAndAsksWithTheModel) {
  use_model(model_file("tiny-bert-q8_0.gguf"));
  const auto created = testing::run_process({PARLEY_BINARY, "--data", data(), "bot", "create", "--name", "Shop"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string bot = created.out.substr(0, created.out.find('\n'));
  const std::string guide = dir_.file("guide.md");
  std::ofstream(guide) << kGuide;
  ASSERT_EQ(testing::run_process({PARLEY_BINARY, "--data", data(), "source", "add", "--bot", bot, guide}).exit_code, 0);
  const auto embed = testing::run_process({PARLEY_BINARY, "--data", data(), "bot", "embed", "--bot", bot, "--json"});
  ASSERT_EQ(embed.exit_code, 0) << embed.err;
  const auto result = Json::parse(embed.out);
  EXPECT_EQ(result["state"], "succeeded");
  EXPECT_GT(result["result"]["computed"].get<int>(), 0);
  EXPECT_EQ(result["result"]["embedded"], result["result"]["chunks"]);
  const auto asked = testing::run_process(
      {PARLEY_BINARY, "--data", data(), "ask", "--bot", bot, "--json", "How long does charging the battery take?"});
  ASSERT_EQ(asked.exit_code, 0) << asked.err;
  EXPECT_THAT(Json::parse(asked.out).value("answer", ""), HasSubstr("five hours"));
  EXPECT_TRUE(asked.err.empty()) << asked.err;
  const auto again = testing::run_process({PARLEY_BINARY, "--data", data(), "bot", "embed", "--bot", bot, "--json"});
  EXPECT_EQ(Json::parse(again.out)["result"]["computed"], 0);
  // Without a usable model the CLI says so and still answers.
  use_model(dir_.file("missing.gguf"));
  const auto lexical = testing::run_process(
      {PARLEY_BINARY, "--data", data(), "ask", "--bot", bot, "--json", "How long does charging the battery take?"});
  ASSERT_EQ(lexical.exit_code, 0);
  EXPECT_THAT(lexical.err, HasSubstr("lexical retrieval only"));
  const auto refused = testing::run_process({PARLEY_BINARY, "--data", data(), "bot", "embed", "--bot", bot});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("does not exist"));
}

}  // namespace
}  // namespace parley::semantic
