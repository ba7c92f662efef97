// Reference outputs in PARLEY_SHARED_DIR/models (produced by llama.cpp, see that folder's README).
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace parley::engine::testing {

inline std::string model_path(const std::string& name) { return std::string(PARLEY_SHARED_DIR) + "/models/" + name; }

struct Reference {
  std::string name;
  std::string prompt;
  std::vector<int32_t> prompt_tokens;
  int n_vocab = 0;
  std::vector<float> logits;  // [prompt_tokens.size()][n_vocab]
  std::vector<int32_t> greedy;
  std::vector<float> embedding;  // bert
  std::string pooling;

  const float* row(std::size_t i) const { return logits.data() + i * static_cast<std::size_t>(n_vocab); }
};

inline Reference load_reference(const std::string& name) {
  Reference ref;
  ref.name = name;
  std::ifstream in(model_path(name + ".json"));
  const auto json = nlohmann::json::parse(in);
  ref.prompt = json.at("prompt").get<std::string>();
  ref.prompt_tokens = json.at("prompt_tokens").get<std::vector<int32_t>>();
  if (json.contains("n_vocab")) {
    ref.n_vocab = json.at("n_vocab").get<int>();
    ref.greedy = json.at("greedy_continuation").get<std::vector<int32_t>>();
    std::ifstream logits(model_path(json.at("logits_file").get<std::string>()), std::ios::binary);
    ref.logits.resize(ref.prompt_tokens.size() * static_cast<std::size_t>(ref.n_vocab));
    logits.read(reinterpret_cast<char*>(ref.logits.data()),
                static_cast<std::streamsize>(ref.logits.size() * sizeof(float)));
    if (!logits) ref.logits.clear();
  }
  if (json.contains("embedding")) {
    ref.embedding = json.at("embedding").get<std::vector<float>>();
    ref.pooling = json.at("pooling").get<std::string>();
  }
  return ref;
}

}  // namespace parley::engine::testing
