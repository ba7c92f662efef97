// Hybrid retrieval end to end below HTTP, with real parts: a SQLite file, real ingestion, the tiny BERT model of
// ../shared/models (random weights: its vectors are deterministic, not meaningful), the job runner, the index and the
// retriever. The embedding job and its resumption, the fusion order, persistence, a change of model, damaged vectors
// and the scheduler.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "common/clock.h"
#include "ingest/ingest.h"
#include "jobs/jobs.h"
#include "search/retriever.h"
#include "semantic/embedding_job.h"
#include "support/temp_dir.h"

namespace parley::semantic {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kFaq =
    "question,answer\n"
    "How do I reset my password?,Use the Forgot password link on the sign-in page.\n"
    "How much does shipping cost?,Standard shipping is free on orders over $75.\n"
    "Can children ride electric bikes?,Riders must be at least 14 years old for class 1 e-bikes.\n"
    "Do you ship to Canada?,Yes; shipping to Canada takes 5-10 business days.\n"
    "Who can get a booster?,Everyone aged 12 and over.\n"
    "Where can I get a booster?,At any pharmacy in the network.\n";

constexpr std::string_view kPage =
    "# Battery care\n\n"
    "## Winter storage\n\n"
    "Store the battery indoors at 10-25 degrees and charge it to 60 percent before a long break.\n\n"
    "## Charging\n\n"
    "A full charge takes about five hours with the standard charger.\n\n"
    "## Returns\n\n"
    "Unused bikes can be returned within 30 days for a full refund.\n";

std::string model_file(const char* name) { return std::string(PARLEY_SHARED_DIR) + "/models/" + name; }

class HybridTest : public ::testing::Test {
 protected:
  void SetUp() override {
    open();
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto workspace, tx.create_workspace("W"));
      workspace_ = workspace.id;
      return {};
    }).ok());
    ASSERT_TRUE(store_->write(scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto bot, tx.create_bot("Support", store::Json{{"language", "en"}}));
      bot_id_ = bot.id;
      return {};
    }).ok());
    add("faq.csv", kFaq);
    add("battery.md", kPage);
    embedder_ = load("tiny-bert-f16.gguf");
  }

  void open() {
    store_.reset();
    auto opened = store::open_store({dir_.file("parley.db")});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }
  static std::shared_ptr<Embedder> load(const char* name) {
    auto loaded = Embedder::load(model_file(name), {.threads = 2});
    EXPECT_TRUE(loaded.ok()) << loaded.error().message;
    return loaded.ok() ? *loaded : nullptr;
  }
  store::Scope scope() const { return store::Scope::workspace(workspace_); }
  void add(const char* name, std::string_view bytes) {
    const auto added = ingest::add_file(*store_, scope(), {bot_id_, name, "", bytes});
    ASSERT_TRUE(added.ok()) << added.error().message;
  }
  store::Bot bot() {
    std::optional<store::Bot> found;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(found, tx.bot(bot_id_));
      return {};
    }).ok());
    return *found;
  }
  std::shared_ptr<SemanticIndex> index_for(std::shared_ptr<Embedder> embedder) {
    return std::make_shared<SemanticIndex>(*store_, std::move(embedder), SemanticOptions{.background = false});
  }
  // Queues and runs an embed job here; returns the job as it ended.
  store::Job embed(const std::shared_ptr<SemanticIndex>& index, bool again = false, int per_batch = 32) {
    jobs::JobRunner runner(*store_);
    register_embedding_jobs(runner, index, {.chunks_per_batch = per_batch});
    auto queued = enqueue_embedding(*store_, scope(), bot_id_, again, "manual");
    EXPECT_TRUE(queued.ok()) << queued.error().message;
    auto job = runner.run_job(scope(), queued->id);
    EXPECT_TRUE(job.ok()) << job.error().message;
    return *job;
  }
  store::EmbeddingCounts counts(const std::string& hash) {
    store::EmbeddingCounts out;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(out, tx.embedding_counts(bot_id_, hash));
      return {};
    }).ok());
    return out;
  }
  std::vector<store::Chunk> all_chunks() {
    std::vector<store::Chunk> chunks;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) {
      return tx.scan_chunks(bot_id_, [&](const store::Chunk& c) { chunks.push_back(c); });
    }).ok());
    return chunks;
  }
  std::vector<store::ChunkHit> rank(const SemanticIndex& index, std::string_view question, int limit = 16) {
    std::vector<store::ChunkHit> hits;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      hits = index.rank(tx, bot(), question, limit);
      return {};
    }).ok());
    return hits;
  }
  search::SearchResult search(const search::Retriever& retriever, std::string_view question, int limit = 8) {
    search::SearchResult result;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto found, tx.bot(bot_id_));
      PARLEY_ASSIGN_OR_RETURN(result, retriever.search(tx, *found, question, {.limit = limit}));
      return {};
    }).ok());
    return result;
  }

  parley::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::string workspace_, bot_id_;
  std::shared_ptr<Embedder> embedder_;
};

// The job embeds every chunk from the text it is about (document title, headings, text), records the model's name
// and hash with each vector, and reports its progress; the vectors are the model's, deterministically.
TEST_F(HybridTest, TheEmbeddingJobStoresAVectorForEveryChunk) {
  ASSERT_TRUE(embedder_);
  EXPECT_EQ(embedder_->model().name, "tiny-bert-f16");
  EXPECT_EQ(embedder_->model().hash.size(), 64u);
  EXPECT_EQ(embedder_->dimensions(), 256);
  const auto chunks = all_chunks();
  ASSERT_GE(chunks.size(), 8u);
  EXPECT_EQ(counts(embedder_->model().hash).embedded, 0);

  auto index = index_for(embedder_);
  const auto job = embed(index, false, 3);
  EXPECT_EQ(job.state, store::JobState::succeeded) << job.error;
  EXPECT_EQ(job.kind, "embed");
  EXPECT_EQ(job.result["model"], "tiny-bert-f16");
  EXPECT_EQ(job.result["chunks"], static_cast<std::int64_t>(chunks.size()));
  EXPECT_EQ(job.result["embedded"], static_cast<std::int64_t>(chunks.size()));
  EXPECT_EQ(job.result["computed"], static_cast<std::int64_t>(chunks.size()));
  EXPECT_EQ(counts(embedder_->model().hash).embedded, static_cast<std::int64_t>(chunks.size()));

  std::map<std::int64_t, std::vector<float>> stored;
  ASSERT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) {
    return tx.scan_chunk_vectors(bot_id_, embedder_->model().hash, 0, true,
                                 [&](const store::ChunkVector& v) { stored[v.chunk_id] = v.values; });
  }).ok());
  for (const auto& chunk : chunks) {
    ASSERT_TRUE(stored.contains(chunk.id));
    const auto& vector = stored[chunk.id];
    auto again = embedder_->engine()->embed(embedding_text(chunk));
    ASSERT_TRUE(again.ok());
    double dot = 0;
    for (std::size_t d = 0; d < vector.size(); ++d) dot += double(vector[d]) * (*again)[d];
    EXPECT_NEAR(dot, 1.0, 1e-4) << embedding_text(chunk);
  }
  // A question worded exactly like a chunk's text is nearest that chunk (similarity 1).
  const auto& target = chunks[3];
  const auto hits = rank(*index, embedding_text(target));
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].chunk_id, target.id);
  EXPECT_NEAR(hits[0].score, 1.0, 1e-3);
  EXPECT_EQ(index->bot_state(bot_id_).status, "ready");
  EXPECT_EQ(index->bot_state(bot_id_).vectors, chunks.size());
  // Question vectors are cached.
  const auto before = embedder_->cache_stats();
  rank(*index, embedding_text(target));
  EXPECT_EQ(embedder_->cache_stats().hits, before.hits + 1);
  // Nothing left to do: a second job computes nothing.
  EXPECT_EQ(embed(index).result["computed"], 0);
}

// The final order is the reciprocal-rank fusion of the lexical order (re-scored candidates by score and form) and the
// semantic one; chunks found only by their vector join the candidates; weight 0 leaves retrieval lexical.
TEST_F(HybridTest, CandidatesAreOrderedByReciprocalRankOfBothRankings) {
  auto index = index_for(embedder_);
  ASSERT_EQ(embed(index).state, store::JobState::succeeded);
  const search::Retriever lexical;
  const search::Retriever hybrid(index);
  const auto chunks = all_chunks();
  for (const std::string& question : std::vector<std::string>{"How long does charging the battery take?",
                                                               "shipping to Canada", embedding_text(chunks[5]),
                                                               "booster pharmacy"}) {
    const auto semantic = rank(*index, question);
    const auto result = search(hybrid, question, 100);
    ASSERT_FALSE(result.candidates.empty()) << question;
    // Expected: rank each candidate lexically (score plus the form bonus, ties by id) and semantically.
    std::vector<const search::Candidate*> by_lexical;
    for (const auto& c : result.candidates) by_lexical.push_back(&c);
    std::sort(by_lexical.begin(), by_lexical.end(), [](const auto* a, const auto* b) {
      const double ra = a->score + (a->same_form ? 0.05 : 0), rb = b->score + (b->same_form ? 0.05 : 0);
      return ra != rb ? ra > rb : a->chunk.id < b->chunk.id;
    });
    std::map<std::int64_t, double> fused;
    for (std::size_t r = 0; r < by_lexical.size(); ++r) fused[by_lexical[r]->chunk.id] += 1.0 / (60.0 + double(r + 1));
    for (std::size_t r = 0; r < semantic.size(); ++r) {
      if (fused.contains(semantic[r].chunk_id)) fused[semantic[r].chunk_id] += 1.0 / (60.0 + double(r + 1));
    }
    for (std::size_t i = 1; i < result.candidates.size(); ++i) {
      EXPECT_GE(fused[result.candidates[i - 1].chunk.id], fused[result.candidates[i].chunk.id] - 1e-12)
          << question << " at " << i;
    }
    // Every semantic hit is a candidate, with its similarity.
    for (const auto& hit : semantic) {
      const auto found = std::find_if(result.candidates.begin(), result.candidates.end(),
                                      [&](const auto& c) { return c.chunk.id == hit.chunk_id; });
      ASSERT_NE(found, result.candidates.end()) << question;
      EXPECT_NEAR(found->similarity, hit.score, 1e-6);
    }
  }
  // A chunk worded exactly as the question is first when the lexical ranking agrees it is relevant at all.
  const auto exact = search(hybrid, embedding_text(chunks[5]));
  EXPECT_EQ(exact.candidates.front().chunk.id, chunks[5].id);
  // A question no chunk shares a word with still gets the semantic neighbours (for sources); its lexical
  // confidence stays low.
  const auto unrelated = search(hybrid, "zebra xylophone quartz");
  const auto lexical_only = search(lexical, "zebra xylophone quartz");
  EXPECT_TRUE(lexical_only.candidates.empty());
  ASSERT_FALSE(unrelated.candidates.empty());
  for (const auto& c : unrelated.candidates) EXPECT_LT(c.score, 0.3);
  // Weight 0: exactly the lexical result.
  ASSERT_TRUE(store_->write(scope(), [&](store::WriteTx& tx) -> Status {
    auto b = bot();
    b.settings["semantic_weight"] = 0;
    PARLEY_ASSIGN_OR_RETURN(auto updated, tx.update_bot(b));
    return {};
  }).ok());
  const auto off = search(hybrid, "How long does charging the battery take?");
  const auto plain = search(lexical, "How long does charging the battery take?");
  ASSERT_EQ(off.candidates.size(), plain.candidates.size());
  for (std::size_t i = 0; i < off.candidates.size(); ++i) {
    EXPECT_EQ(off.candidates[i].chunk.id, plain.candidates[i].chunk.id);
    EXPECT_EQ(off.candidates[i].similarity, 0.0);
  }
}

// Vectors live in the SQLite file: a new process (store reopened, index rebuilt) finds them all and ranks the same,
// with nothing to embed again.
TEST_F(HybridTest, VectorsPersistAcrossARestart) {
  auto index = index_for(embedder_);
  ASSERT_EQ(embed(index).state, store::JobState::succeeded);
  const std::string question = "Where can I get a booster shot?";
  const auto before = rank(*index, question);
  ASSERT_FALSE(before.empty());
  index.reset();
  embedder_.reset();
  open();
  embedder_ = load("tiny-bert-f16.gguf");
  index = index_for(embedder_);
  const auto after = rank(*index, question);
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].chunk_id, before[i].chunk_id);
    EXPECT_NEAR(after[i].score, before[i].score, 1e-5);
  }
  std::vector<store::Chunk> missing;
  ASSERT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(missing, tx.chunks_to_embed(bot_id_, embedder_->model().hash, 0, 10));
    return {};
  }).ok());
  EXPECT_TRUE(missing.empty());
}

// Another model file (another hash) is another model: nothing of the old one is used, every chunk is embedded
// again, and the new vectors replace the old.
TEST_F(HybridTest, ChangingTheModelEmbedsEveryChunkAgain) {
  auto index = index_for(embedder_);
  ASSERT_EQ(embed(index).state, store::JobState::succeeded);
  const auto total = static_cast<std::int64_t>(all_chunks().size());
  const auto old_hash = embedder_->model().hash;
  auto other = load("tiny-bert-q8_0.gguf");
  ASSERT_NE(other->model().hash, old_hash);
  auto other_index = index_for(other);
  EXPECT_EQ(counts(other->model().hash).embedded, 0);
  EXPECT_TRUE(rank(*other_index, "battery").empty());  // lexical only until the vectors are there
  const auto job = embed(other_index);
  EXPECT_EQ(job.state, store::JobState::succeeded);
  EXPECT_EQ(job.result["model"], "tiny-bert-q8_0");
  EXPECT_EQ(job.result["computed"], total);
  EXPECT_EQ(counts(other->model().hash).embedded, total);
  EXPECT_EQ(counts(old_hash).embedded, 0);
  ASSERT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) {
    return tx.scan_chunk_vectors(bot_id_, other->model().hash, 0, false, [&](const store::ChunkVector& v) {
      EXPECT_EQ(v.dimensions, 256);
    });
  }).ok());
  const auto fresh = index_for(other);
  EXPECT_FALSE(rank(*fresh, "battery").empty());
}

// A stored vector whose width is not the model's (a damaged row) turns the bot's semantic retrieval off with an
// error that says what and how to fix it; answers stay lexical; embedding everything again clears it.
TEST_F(HybridTest, DamagedVectorsAreAClearErrorNotAnAnswer) {
  auto index = index_for(embedder_);
  ASSERT_EQ(embed(index).state, store::JobState::succeeded);
  index.reset();
  store_.reset();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir_.file("parley.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE chunk_vectors SET dimensions = 384, vector = zeroblob(1536) "
                               "WHERE chunk_id = (SELECT min(chunk_id) FROM chunk_vectors)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  open();
  index = index_for(embedder_);
  EXPECT_TRUE(rank(*index, "battery charging").empty());
  const auto state = index->bot_state(bot_id_);
  EXPECT_EQ(state.status, "error");
  EXPECT_THAT(state.error, HasSubstr("1 stored vectors of this bot by tiny-bert-f16 have 384 dimensions where the model gives 256"));
  EXPECT_THAT(state.error, HasSubstr("parley bot embed --bot " + bot_id_ + " --again"));
  EXPECT_EQ(index->errors().size(), 1u);
  const search::Retriever hybrid(index), lexical;
  const auto with = search(hybrid, "How long does charging take?");
  const auto without = search(lexical, "How long does charging take?");
  ASSERT_EQ(with.candidates.size(), without.candidates.size());
  EXPECT_EQ(with.candidates.front().chunk.id, without.candidates.front().chunk.id);

  const auto job = embed(index, true);
  EXPECT_EQ(job.state, store::JobState::succeeded);
  EXPECT_EQ(job.result["computed"], static_cast<std::int64_t>(all_chunks().size()));
  const auto repaired = index_for(embedder_);
  EXPECT_FALSE(rank(*repaired, "battery charging").empty());
  EXPECT_EQ(repaired->bot_state(bot_id_).status, "ready");
}

// A job whose runner died (its lease expired) is taken over and computes only what the dead one had not stored.
TEST_F(HybridTest, AJobTakenOverAfterACrashResumesWhereTheVectorsEnd) {
  auto index = index_for(embedder_);
  const auto chunks = all_chunks();
  // The dead runner stored the first three vectors, then died holding the job.
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < 3; ++i) texts.push_back(embedding_text(chunks[i]));
  auto vectors = embedder_->embed_passages(texts);
  ASSERT_TRUE(vectors.ok());
  std::vector<store::ChunkVector> rows;
  for (std::size_t i = 0; i < 3; ++i) rows.push_back({chunks[i].id, (*vectors)[i]});
  ASSERT_TRUE(store_->write(scope(), [&](store::WriteTx& tx) {
    return tx.put_chunk_vectors(bot_id_, embedder_->model().name, embedder_->model().hash, rows);
  }).ok());
  auto queued = enqueue_embedding(*store_, scope(), bot_id_, false, "auto");
  ASSERT_TRUE(queued.ok());
  ASSERT_TRUE(store_->write(scope(), [&](store::WriteTx& tx) -> Status {
    auto job = *queued;
    job.state = store::JobState::running;
    job.lease_owner = "dead-host:1:x";
    job.lease_expires_at = unix_millis() - 1;
    job.attempts = 1;
    return tx.update_job(job);
  }).ok());
  jobs::JobRunner runner(*store_);
  register_embedding_jobs(runner, index, {.chunks_per_batch = 2});
  auto ended = runner.run_job(scope(), queued->id);
  ASSERT_TRUE(ended.ok()) << ended.error().message;
  EXPECT_EQ(ended->state, store::JobState::succeeded);
  EXPECT_EQ(ended->attempts, 2);
  EXPECT_EQ(ended->result["computed"], static_cast<std::int64_t>(chunks.size()) - 3);
  EXPECT_EQ(counts(embedder_->model().hash).embedded, static_cast<std::int64_t>(chunks.size()));
}

// The scheduler queues one job for a bot with chunks lacking vectors, none while it is active, none again after it
// was cancelled until the knowledge changes, and none once everything is embedded.
TEST_F(HybridTest, TheSchedulerQueuesOneJobWhenChunksLackVectors) {
  EmbeddingScheduler scheduler(*store_, embedder_->model(), nullptr);
  auto queued = scheduler.run_once();
  ASSERT_TRUE(queued.ok());
  EXPECT_EQ(*queued, bot_id_);
  EXPECT_EQ(*scheduler.run_once(), "");  // the job is queued
  std::vector<store::Job> jobs;
  const auto list = [&] {
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      store::JobFilter filter;
      filter.bot_id = bot_id_;
      PARLEY_ASSIGN_OR_RETURN(jobs, tx.jobs(filter));
      return {};
    }).ok());
  };
  list();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].trigger, "auto");
  ASSERT_TRUE(jobs::control_job(*store_, scope(), bot_id_, jobs[0].id, jobs::JobAction::cancel).ok());
  EXPECT_EQ(*scheduler.run_once(), "");  // cancelled at this knowledge: left alone
  add("more.md", "# Helmets\n\nA helmet is included with every bike.\n");
  EXPECT_EQ(*scheduler.run_once(), bot_id_);  // new knowledge
  list();
  ASSERT_EQ(jobs.size(), 2u);
  jobs::JobRunner runner(*store_);
  register_embedding_jobs(runner, index_for(embedder_));
  ASSERT_EQ(runner.run_job(scope(), jobs[0].id)->state, store::JobState::succeeded);
  EXPECT_EQ(*scheduler.run_once(), "");  // all embedded
  list();
  EXPECT_EQ(jobs.size(), 2u);
}

// What is not an embedding model is refused with a message naming the file.
TEST(Embedder, RefusesWhatIsNotAnEmbeddingModel) {
  auto missing = Embedder::load("/nonexistent/model.gguf");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  auto generator = Embedder::load(model_file("tiny-llama-q8_0.gguf"));
  ASSERT_FALSE(generator.ok());
  EXPECT_THAT(generator.error().message, HasSubstr("not an embedding (BERT-family) model"));
  parley::testing::TempDir dir;
  const auto corrupt = dir.file("corrupt.gguf");
  {
    std::FILE* f = std::fopen(corrupt.c_str(), "wb");
    std::fputs("GGUF this is not a model", f);
    std::fclose(f);
  }
  auto damaged = Embedder::load(corrupt);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.error().code, ErrorCode::unprocessable);
  EXPECT_THAT(damaged.error().message, HasSubstr(corrupt));
  auto wrong_hash = Embedder::load(model_file("tiny-bert-f16.gguf"), {.expected_sha256 = std::string(64, 'a')});
  ASSERT_FALSE(wrong_hash.ok());
  EXPECT_EQ(wrong_hash.error().code, ErrorCode::forbidden);
}

}  // namespace
}  // namespace parley::semantic
