// A ranking of a bot's chunks by meaning: how close each chunk's vector is to the question's (hybrid retrieval,
// src/semantic). The retriever fuses it with its lexical ranking when one is available; the search module itself
// knows nothing of models or vector indexes.
#pragma once

#include <string_view>
#include <vector>

#include "store/store.h"

namespace parley::search {

class SemanticRanker {
 public:
  virtual ~SemanticRanker() = default;
  // Up to `limit` of the bot's chunks, most similar first, each with its similarity (cosine, -1..1) as the score.
  // Empty when the bot has no vectors (yet) or semantic retrieval is unavailable: answers are then lexical only.
  virtual std::vector<store::ChunkHit> rank(store::ReadTx& tx, const store::Bot& bot, std::string_view question,
                                            int limit) const = 0;
};

}  // namespace parley::search
