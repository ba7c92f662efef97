// Token sampling: repetition/frequency/presence penalties over recent tokens, then greedy choice or, with a
// temperature, top-k, top-p (nucleus) and min-p filtering and a draw from a seeded generator. One Sampler per
// sequence; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <unordered_map>
#include <vector>

#include "common/result.h"

namespace parley::engine {

struct SamplingParams {
  float temperature = 0.8f;        // <= 0: greedy (argmax)
  int top_k = 40;                  // keep the k most likely tokens; 0 keeps all
  float top_p = 0.95f;             // keep the smallest set whose probability reaches p; 1 keeps all
  float min_p = 0.05f;             // drop tokens less likely than min_p times the most likely; 0 keeps all
  float repeat_penalty = 1.0f;     // > 1 discourages tokens seen in the last repeat_last_n tokens
  int repeat_last_n = 64;
  float frequency_penalty = 0.0f;  // subtracted once per occurrence in the window
  float presence_penalty = 0.0f;   // subtracted once if present in the window
  std::optional<uint64_t> seed;    // a fixed seed makes sampling reproducible; random when absent
};

// Errors for out-of-range parameters (negative top_k, top_p outside (0, 1], non-finite values, ...).
Status validate(const SamplingParams& params);

class Sampler {
 public:
  Sampler(const SamplingParams& params, int n_vocab);

  // Adds a token to the penalty window (prompt tokens and generated ones alike).
  void accept(int32_t token);
  // Picks the next token from `logits` (n_vocab values, modified in place by the penalties).
  int32_t sample(float* logits);

 private:
  void apply_penalties(float* logits) const;

  SamplingParams params_;
  int n_vocab_;
  std::mt19937_64 rng_;
  std::vector<int32_t> window_;  // the last repeat_last_n accepted tokens, oldest first
  std::unordered_map<int32_t, int> counts_;
  struct Candidate {
    int32_t id;
    float logit;
    float p;
  };
  std::vector<Candidate> candidates_;  // reused between draws (greedy sampling never needs it)
};

}  // namespace parley::engine
