// `parley model …` through CLI11 argument vectors, as the `parley` binary parses them.
#include "engine/cli/model_commands.h"

#include <functional>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/cli/model_pull.h"
#include "reference_models.h"

namespace parley::engine {
namespace {

struct CommandOutput {
  int exit_code = 0;
  std::string out;
  std::string err;
};

CommandOutput run(std::vector<std::string> args, std::function<Status(std::string_view)> source_policy = {}) {
  CLI::App app{"test"};
  register_model_commands(app, std::move(source_policy));
  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  CommandOutput result;
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector back to front
  try {
    app.parse(args);
  } catch (const CLI::ParseError& error) {
    result.exit_code = app.exit(error, out, err);
  }
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("parley-cli-test-" + name)).string();
}

TEST(ModelCli, InfoReportsArchitectureAndShape) {
  auto result = run({"model", "info", testing::model_path("tiny-qwen3-q4_k_m.gguf"), "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto info = nlohmann::json::parse(result.out);
  EXPECT_EQ(info["architecture"], "qwen3");
  EXPECT_EQ(info["hyperparameters"]["n_layer"], 2);
  EXPECT_EQ(info["hyperparameters"]["n_head_kv"], 2);
  EXPECT_EQ(info["chat_template"], "chatml");
  EXPECT_GT(info["tensor_types"]["q4_k"].get<int>(), 0);
  EXPECT_EQ(info["metadata"]["tokenizer.ggml.tokens"]["length"], 1317);
  auto text = run({"model", "info", testing::model_path("stories260K.gguf")});
  EXPECT_NE(text.out.find("architecture: llama"), std::string::npos);
}

TEST(ModelCli, TokenizeWithAndWithoutSpecialTokens) {
  const auto ref = testing::load_reference("tiny-qwen2-f16");
  auto result = run({"model", "tokenize", testing::model_path("tiny-qwen2-f16.gguf"), "--text", ref.prompt, "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(nlohmann::json::parse(result.out)["tokens"].get<std::vector<int32_t>>(), ref.prompt_tokens);
  const auto spm = testing::model_path("stories260K.gguf");
  auto with = run({"model", "tokenize", spm, "--text", "Hello"});
  auto without = run({"model", "tokenize", spm, "--text", "Hello", "--no-special"});
  EXPECT_EQ(with.out.rfind("1 ", 0), 0u);  // BOS first
  EXPECT_EQ(with.out, "1 " + without.out);
}

TEST(ModelCli, GenerateGreedyMatchesTheReference) {
  const auto ref = testing::load_reference("stories260K");
  auto result = run({"model", "generate", testing::model_path("stories260K.gguf"), "--prompt", ref.prompt,
                     "--temperature", "0", "--max-tokens", "12", "--threads", "2", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  const auto tokens = json["tokens"].get<std::vector<int32_t>>();
  ASSERT_GT(tokens.size(), 0u);
  // Generation may stop early at an end-of-text token; up to there it is the reference's greedy continuation.
  EXPECT_EQ(tokens, std::vector<int32_t>(ref.greedy.begin(), ref.greedy.begin() + static_cast<long>(tokens.size())));
  EXPECT_EQ(json["prompt_tokens"], ref.prompt_tokens.size());
  auto streamed = run({"model", "generate", testing::model_path("stories260K.gguf"), "--prompt", ref.prompt,
                       "--temperature", "0", "--max-tokens", "12"});
  EXPECT_EQ(streamed.out, json["text"].get<std::string>() + "\n");
}

TEST(ModelCli, EvalWritesOneLogitRowPerToken) {
  const auto ref = testing::load_reference("tiny-llama-f32");
  std::string tokens;
  for (std::size_t i = 0; i < ref.prompt_tokens.size(); ++i) tokens += (i ? "," : "") + std::to_string(ref.prompt_tokens[i]);
  const auto out = temp_path("logits.f32");
  auto result = run({"model", "eval", testing::model_path("tiny-llama-f32.gguf"), "--tokens", tokens, "--logits-out", out});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::ifstream in(out, std::ios::binary);
  std::vector<float> logits(ref.logits.size());
  in.read(reinterpret_cast<char*>(logits.data()), static_cast<std::streamsize>(logits.size() * sizeof(float)));
  ASSERT_TRUE(in);
  EXPECT_EQ(in.peek(), EOF);
  double worst = 0;
  for (std::size_t i = 0; i < logits.size(); ++i) worst = std::max(worst, std::fabs(double(logits[i]) - ref.logits[i]));
  EXPECT_LT(worst, 5e-3);  // f32 tolerance (5e-4 relative) of logits below 5 in magnitude
  std::filesystem::remove(out);
  EXPECT_EQ(run({"model", "eval", testing::model_path("tiny-llama-f32.gguf"), "--tokens", "1,x", "--logits-out", out})
                .exit_code,
            1);
}

TEST(ModelCli, EmbedPrintsAUnitVector) {
  auto result = run({"model", "embed", testing::model_path("tiny-bert-q8_0.gguf"), "--text", "reset my password", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["dimensions"], 256);
  double norm = 0;
  for (float v : json["embedding"].get<std::vector<float>>()) norm += double(v) * v;
  EXPECT_NEAR(norm, 1.0, 1e-4);
}

TEST(ModelCli, SynthQuantizeAndBenchAModel) {
  const auto synth = temp_path("synth.gguf");
  auto made = run({"model", "synth", "--arch", "llama", "--dim", "64", "--ff", "128", "--layers", "2", "--heads", "4",
                   "--kv-heads", "2", "--vocab-from", std::string(PARLEY_SHARED_DIR) + "/tokenizers/ggml-vocab-llama-spm.gguf",
                   "--type", "q8_0", "--out", synth});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto quantized = temp_path("synth-q4_0.gguf");
  auto requantized = run({"model", "quantize", synth, quantized, "--type", "q4_0"});
  ASSERT_EQ(requantized.exit_code, 0) << requantized.err;
  auto info = nlohmann::json::parse(run({"model", "info", quantized, "--json"}).out);
  EXPECT_GT(info["tensor_types"]["q4_0"].get<int>(), 0);
  auto bench = run({"model", "bench", quantized, "--threads", "1", "--prompt-tokens", "64", "--gen-tokens", "8",
                    "--repetitions", "1", "--parallel", "2", "--json"});
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  const auto figures = nlohmann::json::parse(bench.out);
  EXPECT_GT(figures["prefill_tokens_per_s"].get<double>(), 0);
  EXPECT_GT(figures["decode_tokens_per_s"].get<double>(), 0);
  // Both 64-token prompts fit one step, so the two sequences decode together from their first token on.
  EXPECT_EQ(figures["parallel_sequences"], 2);
  EXPECT_GT(figures["parallel_decode_tokens_per_s"].get<double>(), 0);
  EXPECT_GT(figures["parallel_sequence_decode_tokens_per_s"].get<double>(), 0);
  EXPECT_GT(figures["parallel_ttft_ms_median"].get<double>(), 0);
  EXPECT_GE(figures["parallel_ttft_ms_max"].get<double>(), figures["parallel_ttft_ms_median"].get<double>());
  EXPECT_GT(figures["peak_rss_mb"].get<double>(), 0);
  std::filesystem::remove(synth);
  std::filesystem::remove(quantized);
}

TEST(ModelCli, FailuresPrintAnErrorAndExitWithOne) {
  auto missing = run({"model", "info", "/nonexistent/model.gguf"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err.rfind("error: ", 0), 0u);
  auto bad_type = run({"model", "quantize", testing::model_path("stories260K.gguf"), temp_path("x.gguf"), "--type", "q9"});
  EXPECT_EQ(bad_type.exit_code, 1);
  EXPECT_NE(bad_type.err.find("unknown type"), std::string::npos);
  auto usage = run({"model", "generate"});
  EXPECT_NE(usage.exit_code, 0);
}

// A one-shot HTTP server on a free loopback port that answers every request with `body`.
class LocalHttpServer {
 public:
  explicit LocalHttpServer(std::string body) : body_(std::move(body)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(fd_, 4);
    thread_ = std::thread([this] { serve(); });
  }
  ~LocalHttpServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  void serve() {
    while (!stop_) {
      const int client = accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      char buffer[4096];
      (void)!read(client, buffer, sizeof buffer);  // the request line and headers; the answer does not depend on them
      const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body_.size()) +
                                   "\r\nConnection: close\r\n\r\n" + body_;
      (void)!write(client, response.data(), response.size());
      close(client);
    }
  }
  std::string body_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(ModelCli, PullVerifiesTheDigestBeforeKeepingTheFile) {
  const std::string body = "GGUF pretend model bytes";
  // Some other file's digest.
  const std::string digest = "6d0b0b3c0c1a1d4bc5ac0cbe47ac3a6e7c63f6cde2dd7f5d1ef1d4e3a0f2b0c1";
  LocalHttpServer server(body);
  const auto out = temp_path("pulled.gguf");
  std::filesystem::remove(out);
  // The body's real digest, computed by the library from a local copy.
  {
    std::ofstream tmp(out, std::ios::binary);
    tmp << body;
  }
  const auto real = *sha256_file(out);
  std::filesystem::remove(out);
  ASSERT_NE(real, digest);

  auto wrong = run({"model", "pull", server.url("/model.gguf"), "--sha256", digest, "--out", out});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("SHA-256 mismatch"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out + ".partial"));

  auto right = run({"model", "pull", server.url("/model.gguf"), "--sha256", real, "--out", out});
  ASSERT_EQ(right.exit_code, 0) << right.err;
  std::ifstream in(out, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_EQ(content.str(), body);
  auto again = run({"model", "pull", server.url("/model.gguf"), "--sha256", real, "--out", out});
  EXPECT_NE(again.out.find("already present"), std::string::npos);
  std::filesystem::remove(out);

  auto insecure = run({"model", "pull", "http://example.com/m.gguf", "--sha256", real, "--out", out});
  EXPECT_EQ(insecure.exit_code, 1);
  EXPECT_NE(insecure.err.find("https"), std::string::npos);
  auto unknown = run({"model", "pull", "no-such-model", "--sha256", real, "--out", out});
  EXPECT_NE(unknown.err.find("unknown model"), std::string::npos);
  auto bad_digest = run({"model", "pull", server.url("/m"), "--sha256", "abc", "--out", out});
  EXPECT_NE(bad_digest.err.find("64 hexadecimal"), std::string::npos);
}

TEST(ModelCli, PullRefusesASourceThePolicyRefusesBeforeDownloading) {
  LocalHttpServer server("GGUF pretend model bytes");
  const auto out = temp_path("refused.gguf");
  std::filesystem::remove(out);
  const std::string digest(64, 'a');
  std::vector<std::string> asked;
  const auto only_elsewhere = [&](std::string_view url) -> Status {
    asked.emplace_back(url);
    return make_error(ErrorCode::forbidden, "not an allowed model source");
  };
  auto refused = run({"model", "pull", server.url("/model.gguf"), "--sha256", digest, "--out", out}, only_elsewhere);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("not an allowed model source"), std::string::npos);
  EXPECT_EQ(asked, std::vector<std::string>{server.url("/model.gguf")});
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out + ".partial"));
}

}  // namespace
}  // namespace parley::engine
