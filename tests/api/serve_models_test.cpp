// `parley serve` with models in parley.toml, as an operator runs it (the real binary): the engine becomes the
// provider "local" and is listed by /v1/models; a model file whose SHA-256 differs from the registered one is
// refused before the server starts.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "guard/model_hash.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace parley::api {
namespace {

using ::testing::HasSubstr;

class ServeModelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto init = testing::run_process({PARLEY_BINARY, "--data", data(), "init", "--json"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    key_ = nlohmann::json::parse(init.out).value("api_key", "");
  }
  std::string data() { return dir_.file("data"); }
  void write_engine_config(const std::string& sha256) {
    std::ofstream config(data() + "/parley.toml", std::ios::app);
    config << "\n[engine]\nmodel = \"" << model_ << "\"\nthreads = 1\ncontext = 256\n";
    if (!sha256.empty()) config << "model_sha256 = \"" << sha256 << "\"\n";
  }

  testing::TempDir dir_;
  std::string key_;
  const std::string model_ = std::string(PARLEY_SHARED_DIR) + "/models/tiny-qwen2-q8_0.gguf";
};

TEST_F(ServeModelsTest, ATamperedModelIsRefused) {
  write_engine_config(std::string(64, 'a'));
  const auto served = testing::run_process({PARLEY_BINARY, "--data", data(), "serve", "--port", "0"});
  EXPECT_EQ(served.exit_code, 1);
  EXPECT_THAT(served.err, HasSubstr("does not match its registered SHA-256"));
}

TEST_F(ServeModelsTest, TheRegisteredModelServesAsTheLocalProvider) {
  const auto hash = guard::sha256_file(model_);
  ASSERT_TRUE(hash.ok());
  write_engine_config(*hash);
  testing::BackgroundProcess server({PARLEY_BINARY, "--data", data(), "serve", "--port", "0"});
  const std::string out = server.wait_for_output("Health:", std::chrono::seconds(30));
  const auto at = out.find("http://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << out;
  const int port = std::stoi(out.substr(at + 17));
  testing::HttpClient client(static_cast<unsigned short>(port));
  const auto models = client.request("GET", "/v1/models", "", {{"Authorization", "Bearer " + key_}});
  ASSERT_EQ(models.status, 200) << models.body;
  EXPECT_THAT(models.body, HasSubstr("\"id\":\"local\""));
  const auto completion = client.request(
      "POST", "/v1/chat/completions",
      R"({"model":"local","max_tokens":3,"temperature":0,"messages":[{"role":"user","content":"Hi"}]})",
      {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}});
  ASSERT_EQ(completion.status, 200) << completion.body;
  EXPECT_EQ(completion.json()["usage"]["completion_tokens"], 3);
  EXPECT_EQ(server.stop(), 0);
}

}  // namespace
}  // namespace parley::api
