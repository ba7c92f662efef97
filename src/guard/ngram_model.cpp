#include "guard/ngram_model.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>

namespace parley::guard {

std::uint64_t ngram_hash(NgramKind kind, std::string_view gram) {
  // FNV-1a, 64 bits, seeded by the kind so that a word and a character n-gram of the same letters differ.
  std::uint64_t hash = 14695981039346656037ull ^ (static_cast<std::uint64_t>(kind) + 1) * 0x9E3779B97F4A7C15ull;
  for (const char c : gram) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash == 0 ? 1 : hash;
}

NgramModel::NgramModel(double bias, std::span<const WeightedNgram> weights) : bias_(bias) {
  // At most half full, so that a miss (most n-grams of a text) ends after a probe or two.
  const std::size_t capacity = std::bit_ceil(std::max<std::size_t>(16, weights.size() * 2 + 1));
  slots_.resize(capacity);
  mask_ = capacity - 1;
  for (const auto& entry : weights) {
    const std::uint64_t key = ngram_hash(entry.kind, entry.gram);
    std::size_t slot = key & mask_;
    while (slots_[slot].key != 0 && slots_[slot].key != key) slot = (slot + 1) & mask_;
    if (slots_[slot].key == 0) ++count_;
    slots_[slot] = {key, entry.weight};
  }
}

float NgramModel::weight(std::uint64_t key) const {
  for (std::size_t slot = key & mask_;; slot = (slot + 1) & mask_) {
    if (slots_[slot].key == key) return slots_[slot].weight;
    if (slots_[slot].key == 0) return 0;
  }
}

double NgramModel::logit(std::string_view screening_form) const {
  // Per piece: the sums of its n-grams' weights and their counts, by kind; then each window from running sums.
  struct Piece {
    double sum[2] = {0, 0};
    double count[2] = {0, 0};
  };
  std::vector<Piece> pieces;
  pieces.reserve(screening_form.size() / 5 + 1);
  for_each_ngram(screening_form, [&](std::size_t piece, NgramKind kind, std::string_view gram) {
    if (piece >= pieces.size()) pieces.resize(piece + 1);
    const auto k = static_cast<std::size_t>(kind);
    pieces[piece].sum[k] += weight(ngram_hash(kind, gram));
    pieces[piece].count[k] += 1;
  });
  const auto window_logit = [&](std::size_t begin, std::size_t end) {
    double logit = bias_;
    for (std::size_t k = 0; k < 2; ++k) {
      double sum = 0, count = 0;
      for (std::size_t p = begin; p < end; ++p) {
        sum += pieces[p].sum[k];
        count += pieces[p].count[k];
      }
      if (count > 0) logit += sum / std::sqrt(count);
    }
    return logit;
  };
  if (pieces.size() <= kWindowPieces) return window_logit(0, pieces.size());
  double best = -1e300;
  constexpr std::size_t kStride = kWindowPieces / 2;
  for (std::size_t begin = 0;; begin += kStride) {
    const std::size_t end = std::min(pieces.size(), begin + kWindowPieces);
    best = std::max(best, window_logit(end - std::min(end, kWindowPieces), end));
    if (end == pieces.size()) break;
  }
  return best;
}

namespace {
#include "guard/injection_model_weights.inc"
}  // namespace

const NgramModel& injection_ngram_model() {
  static const NgramModel model(kNgramBias, kNgramWeights);
  return model;
}

}  // namespace parley::guard
