#include "semantic/embedding_job.h"

#include <algorithm>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "jobs/jobs.h"

namespace parley::semantic {
namespace {

Result<store::Json> run_embedding_job(jobs::JobContext& context, SemanticIndex& index,
                                      const EmbeddingJobOptions& options) {
  const store::Job& job = context.job();
  const std::string bot_id = job.bot_id;
  const Embedder& embedder = index.embedder();
  const ModelId& model = embedder.model();
  const bool again = job.params.is_object() && job.params.value("again", false);
  // Chunks are taken in id order after `cursor`. Without `again` the store knows what is missing, so a resumed job
  // starts over from the first missing chunk; with it, the cursor in the progress says how far it got.
  std::int64_t cursor = again && job.progress.is_object() ? job.progress.value("cursor", std::int64_t{0}) : 0;
  // An empty model hash matches no stored vector: every chunk of the bot is listed.
  const std::string listed_by = again ? std::string() : model.hash;
  store::EmbeddingCounts counts;
  PARLEY_TRY(context.store().read(context.scope(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(counts, tx.embedding_counts(bot_id, model.hash));
    return {};
  }));
  std::int64_t computed = again && job.progress.is_object() ? job.progress.value("computed", std::int64_t{0}) : 0;
  const auto progress = [&] {
    return store::Json{{"model", model.name},        {"model_hash", model.hash}, {"chunks", counts.chunks},
                       {"embedded", counts.embedded}, {"computed", computed},     {"cursor", cursor}};
  };
  context.heartbeat(progress(), true);
  while (!context.should_stop()) {
    std::vector<store::Chunk> batch;
    PARLEY_TRY(context.store().read(context.scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(batch, tx.chunks_to_embed(bot_id, listed_by, cursor, options.chunks_per_batch));
      return {};
    }));
    if (batch.empty()) break;
    std::vector<std::string> texts;
    texts.reserve(batch.size());
    for (const auto& chunk : batch) texts.push_back(embedding_text(chunk));
    PARLEY_ASSIGN_OR_RETURN(auto vectors, embedder.embed_passages(texts));
    // Stored only for chunks that still read the same: a chunk may have been removed meanwhile, and its id reused.
    std::int64_t stored = 0;
    PARLEY_TRY(context.store().write(context.scope(), [&](store::WriteTx& tx) -> Status {
      std::vector<std::int64_t> ids;
      for (const auto& chunk : batch) ids.push_back(chunk.id);
      PARLEY_ASSIGN_OR_RETURN(const auto current, tx.chunks(bot_id, ids));
      std::unordered_map<std::int64_t, const store::Chunk*> by_id;
      for (const auto& chunk : current) by_id.emplace(chunk.id, &chunk);
      std::vector<store::ChunkVector> rows;
      for (std::size_t i = 0; i < batch.size(); ++i) {
        const auto found = by_id.find(batch[i].id);
        if (found == by_id.end() || embedding_text(*found->second) != texts[i]) continue;
        rows.push_back({batch[i].id, std::move(vectors[i])});
      }
      stored = static_cast<std::int64_t>(rows.size());
      return tx.put_chunk_vectors(bot_id, model.name, model.hash, rows);
    }));
    index.written(bot_id);
    cursor = batch.back().id;
    computed += stored;
    if (!again) counts.embedded = std::min(counts.chunks, counts.embedded + stored);
    context.heartbeat(progress());
  }
  PARLEY_TRY(context.store().read(context.scope(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(counts, tx.embedding_counts(bot_id, model.hash));
    return {};
  }));
  if (context.should_stop()) context.heartbeat(progress(), true);
  return progress();
}

bool is_embed_job(const store::Job& job) { return job.kind == kEmbedJobKind; }

}  // namespace

void register_embedding_jobs(jobs::JobRunner& runner, std::shared_ptr<SemanticIndex> index, EmbeddingJobOptions options) {
  runner.register_handler(std::string(kEmbedJobKind), [index = std::move(index), options](jobs::JobContext& context) {
    return run_embedding_job(context, *index, options);
  });
}

Result<store::Job> enqueue_embedding(store::Store& store, const store::Scope& scope, const std::string& bot_id,
                                     bool again, std::string trigger) {
  store::Job queued;
  PARLEY_TRY(store.write(scope, [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(const auto bot, tx.bot(bot_id));
    if (!bot) return make_error(ErrorCode::not_found, "no such bot");
    store::JobFilter filter;
    filter.bot_id = bot_id;
    filter.active_only = true;
    PARLEY_ASSIGN_OR_RETURN(const auto active, tx.jobs(filter));
    for (const auto& job : active) {
      if (is_embed_job(job)) return make_error(ErrorCode::conflict, "the bot already has an embedding job: " + job.id);
    }
    store::Json params{{"knowledge_version", bot->knowledge_version}};
    if (again) params["again"] = true;
    PARLEY_ASSIGN_OR_RETURN(queued, jobs::enqueue_job(tx, bot_id, "", std::string(kEmbedJobKind), params, std::move(trigger)));
    return {};
  }));
  return queued;
}

EmbeddingScheduler::EmbeddingScheduler(store::Store& store, ModelId model, std::function<void()> on_queued,
                                       std::chrono::milliseconds interval)
    : store_(store), model_(std::move(model)), on_queued_(std::move(on_queued)), interval_(interval) {}

EmbeddingScheduler::~EmbeddingScheduler() { stop(); }

void EmbeddingScheduler::start() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    for (;;) {
      auto queued = run_once();
      if (!queued.ok()) spdlog::warn("embedding scheduler: {}", queued.error().message);
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, interval_, [&] { return stopping_; })) return;
    }
  });
}

void EmbeddingScheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<std::string> EmbeddingScheduler::run_once() {
  std::optional<store::Bot> due;
  PARLEY_TRY(store_.read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(const auto bots, tx.bots());
    std::vector<const store::Bot*> backlog;
    for (const auto& bot : bots) {
      const auto checked = checked_.find(bot.id);
      if (checked != checked_.end() && checked->second == bot.knowledge_version) continue;
      PARLEY_ASSIGN_OR_RETURN(const auto counts, tx.embedding_counts(bot.id, model_.hash));
      if (counts.embedded >= counts.chunks) {
        checked_[bot.id] = bot.knowledge_version;
        continue;
      }
      backlog.push_back(&bot);
    }
    // One embedding job at a time, over all bots; none again for a bot whose last one was cancelled or failed at
    // its current knowledge.
    std::vector<const store::Bot*> eligible;
    for (const auto* bot : backlog) {
      store::JobFilter filter;
      filter.bot_id = bot->id;
      filter.limit = 20;
      PARLEY_ASSIGN_OR_RETURN(const auto recent, tx.jobs(filter));
      const auto last = std::find_if(recent.begin(), recent.end(), is_embed_job);
      if (last == recent.end()) {
        eligible.push_back(bot);
        continue;
      }
      if (!store::is_finished(last->state)) return {};  // one is queued, running or paused
      const bool gave_up = last->state != store::JobState::succeeded &&
                           last->params.value("knowledge_version", std::int64_t{-1}) == bot->knowledge_version;
      if (!gave_up) eligible.push_back(bot);
    }
    if (!eligible.empty()) due = *eligible.front();
    return {};
  }));
  if (!due) return std::string();
  auto queued = enqueue_embedding(store_, store::Scope::workspace(due->workspace_id), due->id, false, "auto");
  if (!queued.ok()) {
    if (queued.error().code == ErrorCode::conflict) return std::string();
    return queued.error();
  }
  spdlog::info("embedding: queued job {} for bot {}", queued->id, due->id);
  if (on_queued_) on_queued_();
  return due->id;
}

}  // namespace parley::semantic
