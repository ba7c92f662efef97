#include "semantic/semantic_index.h"

#include <unordered_set>

#include <spdlog/spdlog.h>

namespace parley::semantic {

struct SemanticIndex::Entry {
  Entry(int dimensions, const VectorIndexOptions& options) : index(dimensions, options) {}

  VectorIndex index;
  std::mutex refresh;  // one refresh at a time; guards the fields up to `synced_version`
  bool loaded = false;
  std::int64_t last_seq = 0;
  // Chunks whose stored vector does not have the model's dimensions, with the width found.
  std::unordered_map<std::int64_t, std::int64_t> damaged;
  std::atomic<std::int64_t> synced_version{-1};  // the bot's knowledge version at the last refresh
  std::atomic<bool> usable{false};                // loaded, and nothing damaged
  mutable std::mutex state_mutex;
  BotIndexState state;
};

SemanticIndex::SemanticIndex(store::Store& store, std::shared_ptr<const Embedder> embedder, SemanticOptions options)
    : store_(store), embedder_(std::move(embedder)), options_(options) {
  if (options_.background) maintainer_ = std::thread([this] { maintain(); });
}

SemanticIndex::~SemanticIndex() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (maintainer_.joinable()) maintainer_.join();
}

std::shared_ptr<SemanticIndex::Entry> SemanticIndex::entry(const std::string& bot_id) const {
  std::lock_guard lock(mutex_);
  auto& found = entries_[bot_id];
  if (!found) found = std::make_shared<Entry>(embedder_->dimensions(), options_.index);
  return found;
}

void SemanticIndex::request(const std::string& bot_id) const {
  {
    std::lock_guard lock(mutex_);
    requested_.insert(bot_id);
  }
  wake_.notify_all();
}

void SemanticIndex::written(const std::string& bot_id) {
  if (options_.background) request(bot_id);
}

std::vector<store::ChunkHit> SemanticIndex::rank(store::ReadTx& tx, const store::Bot& bot, std::string_view question,
                                                 int limit) const {
  std::vector<store::ChunkHit> hits;
  if (limit <= 0) return hits;
  const auto found = entry(bot.id);
  if (found->synced_version.load() != bot.knowledge_version) {
    if (options_.background) {
      request(bot.id);
    } else {
      std::lock_guard lock(found->refresh);
      refresh(*found, tx, bot.id, bot.knowledge_version);
    }
  }
  if (!found->usable.load() || found->index.size() == 0) return hits;
  auto query = embedder_->embed_query(question);
  if (!query.ok()) {
    spdlog::warn("semantic retrieval: cannot embed a question for bot {}: {}", bot.id, query.error().message);
    return hits;
  }
  for (const auto& hit : found->index.search(*query, static_cast<std::size_t>(limit))) {
    hits.push_back({hit.id, static_cast<double>(hit.similarity)});
  }
  return hits;
}

void SemanticIndex::refresh(Entry& entry, store::ReadTx& tx, const std::string& bot_id,
                            std::int64_t knowledge_version) const {
  const ModelId& model = embedder_->model();
  const int dimensions = embedder_->dimensions();
  {
    std::lock_guard lock(entry.state_mutex);
    if (!entry.loaded) entry.state.status = "loading";
  }
  std::int64_t last_seq = entry.last_seq;
  const Status scanned = tx.scan_chunk_vectors(bot_id, model.hash, entry.last_seq, true, [&](const store::ChunkVector& v) {
    last_seq = std::max(last_seq, v.seq);
    if (v.dimensions != dimensions || static_cast<std::int64_t>(v.values.size()) != dimensions) {
      entry.damaged[v.chunk_id] = v.dimensions;
      entry.index.remove(v.chunk_id);
      return;
    }
    entry.damaged.erase(v.chunk_id);
    entry.index.upsert(v.chunk_id, v.values);
  });
  if (!scanned.ok()) {
    spdlog::warn("semantic retrieval: cannot read the vectors of bot {}: {}", bot_id, scanned.error().message);
    return;
  }
  entry.last_seq = last_seq;
  // Knowledge changed: vectors of chunks that are gone (deleted with them in the store) leave the index too.
  if (entry.loaded && knowledge_version != entry.synced_version.load()) {
    auto counts = tx.embedding_counts(bot_id, model.hash);
    if (counts.ok() && entry.index.size() + entry.damaged.size() > static_cast<std::size_t>(counts->embedded)) {
      std::unordered_set<std::int64_t> stored;
      const Status listed = tx.scan_chunk_vectors(bot_id, model.hash, 0, false,
                                                  [&](const store::ChunkVector& v) { stored.insert(v.chunk_id); });
      if (listed.ok()) {
        for (const std::int64_t id : entry.index.ids()) {
          if (!stored.contains(id)) entry.index.remove(id);
        }
        std::erase_if(entry.damaged, [&](const auto& damaged) { return !stored.contains(damaged.first); });
      }
    }
  }
  entry.loaded = true;
  entry.synced_version = knowledge_version;
  entry.usable = entry.damaged.empty();
  std::lock_guard lock(entry.state_mutex);
  entry.state.vectors = entry.index.size();
  entry.state.approximate = entry.index.approximate();
  if (entry.damaged.empty()) {
    entry.state.status = "ready";
    entry.state.error.clear();
    return;
  }
  entry.state.status = "error";
  entry.state.error = std::to_string(entry.damaged.size()) + " stored vectors of this bot by " + model.name +
                      " have " + std::to_string(entry.damaged.begin()->second) + " dimensions where the model gives " +
                      std::to_string(dimensions) + " (damaged rows): semantic retrieval is off for this bot until " +
                      "they are computed again (parley bot embed --bot " + bot_id + " --again)";
}

BotIndexState SemanticIndex::bot_state(const std::string& bot_id) const {
  std::shared_ptr<Entry> found;
  {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(bot_id);
    if (it == entries_.end()) return {};
    found = it->second;
  }
  std::lock_guard lock(found->state_mutex);
  BotIndexState state = found->state;
  if (state.status == "ready") {
    state.vectors = found->index.size();
    state.approximate = found->index.approximate();
  }
  return state;
}

std::map<std::string, std::string> SemanticIndex::errors() const {
  std::map<std::string, std::shared_ptr<Entry>> entries;
  {
    std::lock_guard lock(mutex_);
    entries = entries_;
  }
  std::map<std::string, std::string> out;
  for (const auto& [bot_id, found] : entries) {
    std::lock_guard lock(found->state_mutex);
    if (found->state.status == "error") out[bot_id] = found->state.error;
  }
  return out;
}

void SemanticIndex::maintain() {
  // Every bot that has vectors by this model is loaded at start, so the first questions find them.
  const auto& model = embedder_->model();
  const Status listed = store_.read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(const auto bots, tx.bots());
    for (const auto& bot : bots) {
      PARLEY_ASSIGN_OR_RETURN(const auto counts, tx.embedding_counts(bot.id, model.hash));
      if (counts.embedded > 0) request(bot.id);
    }
    return {};
  });
  if (!listed.ok()) spdlog::warn("semantic retrieval: cannot list the bots to load: {}", listed.error().message);
  auto last_sweep = std::chrono::steady_clock::now();
  for (;;) {
    std::set<std::string> work;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, options_.interval, [&] { return stopping_ || !requested_.empty(); });
      if (stopping_) return;
      work.swap(requested_);
      // Every loaded bot once per interval: vectors written by another process (the CLI) are caught up too.
      if (std::chrono::steady_clock::now() - last_sweep >= options_.interval) {
        for (const auto& [bot_id, found] : entries_) work.insert(bot_id);
        last_sweep = std::chrono::steady_clock::now();
      }
    }
    for (const auto& bot_id : work) {
      const Status refreshed = store_.read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
        PARLEY_ASSIGN_OR_RETURN(const auto bot, tx.bot(bot_id));
        if (!bot) {
          std::lock_guard lock(mutex_);
          entries_.erase(bot_id);
          return {};
        }
        const auto found = entry(bot_id);
        std::lock_guard lock(found->refresh);
        refresh(*found, tx, bot_id, bot->knowledge_version);
        return {};
      });
      if (!refreshed.ok()) spdlog::warn("semantic retrieval: cannot refresh bot {}: {}", bot_id, refreshed.error().message);
    }
    // Graph upkeep, interrupted as soon as a bot needs refreshing.
    std::vector<std::shared_ptr<Entry>> entries;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [bot_id, found] : entries_) entries.push_back(found);
    }
    for (const auto& found : entries) {
      while (found->index.maintain()) {
        std::lock_guard lock(mutex_);
        if (stopping_ || !requested_.empty()) break;
      }
    }
  }
}

}  // namespace parley::semantic
