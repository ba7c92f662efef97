#include "engine/sampling.h"

#include <algorithm>
#include <cmath>

namespace parley::engine {
namespace {

// The index of the first largest logit. In two passes, because the first (the maximum, in eight independent lanes)
// vectorizes, and std::max_element, which carries the index along, does not: about 4 times faster over a vocabulary
// of 152k, on the scheduler thread between two forward passes.
int32_t argmax(const float* logits, int32_t n) {
  constexpr int kLanes = 8;
  float lanes[kLanes];
  std::fill(lanes, lanes + kLanes, -INFINITY);
  int32_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) lanes[j] = std::max(lanes[j], logits[i + j]);
  }
  float best = *std::max_element(lanes, lanes + kLanes);
  for (; i < n; ++i) best = std::max(best, logits[i]);
  for (int32_t j = 0; j < n; ++j) {
    if (logits[j] == best) return j;
  }
  return static_cast<int32_t>(std::max_element(logits, logits + n) - logits);  // only NaNs compare unequal to best
}

}  // namespace

Status validate(const SamplingParams& p) {
  auto bad = [](const std::string& what) { return make_error(ErrorCode::invalid_request, "sampling: " + what); };
  if (!std::isfinite(p.temperature)) return bad("temperature must be finite");
  if (p.top_k < 0) return bad("top_k must be >= 0");
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) return bad("top_p must be in (0, 1]");
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) return bad("min_p must be in [0, 1]");
  if (!(p.repeat_penalty > 0.0f) || !std::isfinite(p.repeat_penalty)) return bad("repeat_penalty must be > 0");
  if (p.repeat_last_n < 0) return bad("repeat_last_n must be >= 0");
  if (!std::isfinite(p.frequency_penalty) || !std::isfinite(p.presence_penalty)) return bad("penalties must be finite");
  return {};
}

Sampler::Sampler(const SamplingParams& params, int n_vocab)
    : params_(params), n_vocab_(n_vocab), rng_(params.seed ? *params.seed : std::random_device{}()) {}

void Sampler::accept(int32_t token) {
  if (params_.repeat_last_n == 0) return;
  window_.push_back(token);
  ++counts_[token];
  if (static_cast<int>(window_.size()) > params_.repeat_last_n) {
    const int32_t oldest = window_.front();
    window_.erase(window_.begin());
    if (--counts_[oldest] == 0) counts_.erase(oldest);
  }
}

void Sampler::apply_penalties(float* logits) const {
  const bool repeat = params_.repeat_penalty != 1.0f;
  if (!repeat && params_.frequency_penalty == 0.0f && params_.presence_penalty == 0.0f) return;
  for (const auto& [token, count] : counts_) {
    if (token < 0 || token >= n_vocab_) continue;
    float& logit = logits[token];
    // Dividing a positive logit and multiplying a negative one both make the token less likely.
    if (repeat) logit = logit > 0 ? logit / params_.repeat_penalty : logit * params_.repeat_penalty;
    logit -= static_cast<float>(count) * params_.frequency_penalty + params_.presence_penalty;
  }
}

int32_t Sampler::sample(float* logits) {
  apply_penalties(logits);
  if (params_.temperature <= 0.0f) return argmax(logits, n_vocab_);

  candidates_.clear();  // keeps its capacity: allocated on the first draw only
  auto by_logit = [](const Candidate& a, const Candidate& b) { return a.logit > b.logit || (a.logit == b.logit && a.id < b.id); };
  if (params_.top_k > 0 && params_.top_k < n_vocab_) {
    // The k most likely in one pass: a heap whose top is the least likely kept; almost every token is turned away by
    // one comparison with it (building and sorting all 152k candidates took most of a draw).
    const auto k = static_cast<std::size_t>(params_.top_k);
    for (int32_t i = 0; i < n_vocab_; ++i) {
      if (candidates_.size() == k) {
        if (!(logits[i] > candidates_.front().logit)) continue;  // ties keep the lower id, seen first
        std::pop_heap(candidates_.begin(), candidates_.end(), by_logit);
        candidates_.pop_back();
      }
      candidates_.push_back({i, logits[i], 0.0f});
      std::push_heap(candidates_.begin(), candidates_.end(), by_logit);
    }
    std::sort(candidates_.begin(), candidates_.end(), by_logit);
  } else {
    for (int32_t i = 0; i < n_vocab_; ++i) candidates_.push_back({i, logits[i], 0.0f});
    std::sort(candidates_.begin(), candidates_.end(), by_logit);
  }

  // Filters work on the untempered distribution (as in llama.cpp's default chain); temperature applies last.
  auto normalise = [this](float temperature) {
    const float top = candidates_.front().logit;
    double sum = 0;
    for (auto& c : candidates_) {
      c.p = std::exp((c.logit - top) / temperature);
      sum += c.p;
    }
    for (auto& c : candidates_) c.p = static_cast<float>(c.p / sum);
  };
  normalise(1.0f);
  if (params_.top_p < 1.0f) {
    double cumulative = 0;
    std::size_t n = 0;
    while (n < candidates_.size()) {
      cumulative += candidates_[n].p;
      ++n;
      if (cumulative >= params_.top_p) break;
    }
    candidates_.resize(std::max<std::size_t>(n, 1));
  }
  if (params_.min_p > 0.0f) {
    const float threshold = candidates_.front().p * params_.min_p;
    std::size_t n = 1;
    while (n < candidates_.size() && candidates_[n].p >= threshold) ++n;
    candidates_.resize(n);
  }
  normalise(params_.temperature);

  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  double r = uniform(rng_);
  for (const auto& c : candidates_) {
    r -= c.p;
    if (r <= 0) return c.id;
  }
  return candidates_.back().id;  // rounding left a sliver of probability: the last candidate takes it
}

}  // namespace parley::engine
