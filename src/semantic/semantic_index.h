// The semantic half of hybrid retrieval: every bot's chunk vectors by the configured model, in memory
// (VectorIndex), kept in step with the store, and searched with the question's vector (search::SemanticRanker).
//
// The store is the truth; an index follows it by `seq` (each vector written gets the next number for its bot and
// model, so catching up reads only what is new) and, when the bot's knowledge changed, drops vectors whose chunks
// are gone. In the server (`background`), a maintainer thread loads bots at start, catches up when the embedding
// job reports new vectors or a question meets a changed knowledge version, and builds graphs; a question never
// waits for it and uses what is loaded (nothing at all before the first load: lexical only). Without it (the CLI),
// a question brings its bot up to date first.
//
// Stored vectors that do not have the model's dimensions (a damaged row: one model always gives the same width)
// disable the bot's semantic retrieval with an error naming the problem and the fix, rather than answer with them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "search/semantic.h"
#include "semantic/embedder.h"
#include "semantic/vector_index.h"
#include "store/store.h"

namespace parley::semantic {

struct SemanticOptions {
  VectorIndexOptions index{};
  bool background = true;  // a maintainer thread (the server); false: questions catch their bot up themselves
  std::chrono::milliseconds interval{1000};  // how often the maintainer looks at every loaded bot
};

// How a bot's vectors stand in memory, for the report, /readyz and the admin app.
struct BotIndexState {
  std::string status = "not_loaded";  // not_loaded | loading | ready | error
  std::string error;
  std::size_t vectors = 0;
  bool approximate = false;  // searched through an HNSW graph
};

class SemanticIndex final : public search::SemanticRanker {
 public:
  SemanticIndex(store::Store& store, std::shared_ptr<const Embedder> embedder, SemanticOptions options = {});
  ~SemanticIndex() override;
  SemanticIndex(const SemanticIndex&) = delete;
  SemanticIndex& operator=(const SemanticIndex&) = delete;

  std::vector<store::ChunkHit> rank(store::ReadTx& tx, const store::Bot& bot, std::string_view question,
                                    int limit) const override;

  // The embedding job stored vectors of the bot: catch up now.
  void written(const std::string& bot_id);
  BotIndexState bot_state(const std::string& bot_id) const;
  // Bots whose vectors cannot be used, with the reason.
  std::map<std::string, std::string> errors() const;
  const Embedder& embedder() const { return *embedder_; }

 private:
  struct Entry;
  std::shared_ptr<Entry> entry(const std::string& bot_id) const;
  // Brings the entry up to the store as `tx` sees it (the bot at `knowledge_version`).
  void refresh(Entry& entry, store::ReadTx& tx, const std::string& bot_id, std::int64_t knowledge_version) const;
  void request(const std::string& bot_id) const;
  void maintain();

  store::Store& store_;
  std::shared_ptr<const Embedder> embedder_;
  const SemanticOptions options_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::shared_ptr<Entry>> entries_;
  mutable std::set<std::string> requested_;  // bots the maintainer should refresh
  mutable std::condition_variable wake_;
  bool stopping_ = false;
  std::thread maintainer_;
};

}  // namespace parley::semantic
