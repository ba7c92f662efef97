// The PostgreSQL store's own behaviour, on a real server started by the test (support/postgres.h): several stores
// on one database stand for several replicas.
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "audit/audit.h"
#include "store/copy.h"
#include "store/store_fixture.h"

namespace parley::store {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class PostgresStoreTest : public StoreTest {
 protected:
  // Another replica: the same database, an index of its own.
  std::unique_ptr<Store> open_replica(const std::string& name, int pool_size = 16, int pool_wait_ms = 2000) {
    StoreOptions options = options_;
    options.index_dir = dir_.file(name);
    options.pool_size = pool_size;
    options.pool_wait_ms = pool_wait_ms;
    return parley::testing::open_test_store(options);
  }

  std::vector<std::pair<std::int64_t, double>> scores(Store& store, const std::vector<std::string>& terms) {
    std::vector<std::pair<std::int64_t, double>> out;
    ChunkQuery query;
    query.terms = terms;
    EXPECT_TRUE(store.read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto found, tx.search_chunks(bot_, query));
      for (const auto& hit : found.hits) out.emplace_back(hit.chunk_id, hit.score);
      return {};
    }).ok());
    return out;
  }
};

TEST_F(PostgresStoreTest, AChangeIsSearchableOnEveryReplicaAsSoonAsItIsCommitted) {
  add_document(bot_, "a.md", {chunk(0, "shipping", "we ship worldwide"), chunk(1, "returns", "ship back")});
  auto replica = open_replica("replica");
  const auto here = scores(*store_, {"ship"});
  ASSERT_EQ(here.size(), 2u);
  EXPECT_EQ(scores(*replica, {"ship"}), here);  // loaded from PostgreSQL on first search
  // Edits, document by document, then a source removed: the other replica follows each at once.
  auto [source_id, doc_id] = add_document(bot_, "b.md", {chunk(0, "ship ship", "fast ship")});
  EXPECT_EQ(scores(*replica, {"ship"}), scores(*store_, {"ship"}));
  EXPECT_EQ(scores(*replica, {"ship"}).size(), 3u);
  add_document(bot_, "a.md", {chunk(0, "shipping", "we ship worldwide"), chunk(1, "refunds", "money back")});
  EXPECT_EQ(scores(*replica, {"ship"}), scores(*store_, {"ship"}));
  EXPECT_EQ(scores(*replica, {"ship"}).size(), 2u);
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) { return tx.delete_source(bot_, source_id); }).ok());
  EXPECT_EQ(scores(*replica, {"ship"}).size(), 1u);
  TermStats stats;
  ASSERT_TRUE(replica->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(stats, tx.term_stats(bot_, {"ship", "money", "absent"}));
    return {};
  }).ok());
  EXPECT_EQ(stats.chunk_count, 2);
  EXPECT_THAT(stats.document_frequency, ElementsAre(1, 1, 0));
  // A deleted bot is gone from the other replica's index too.
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) { return tx.delete_bot(bot_); }).ok());
  EXPECT_TRUE(scores(*replica, {"ship"}).empty());
}

TEST_F(PostgresStoreTest, TheFollowerCatchesUpWithoutASearchAskingForIt) {
  add_document(bot_, "a.md", {chunk(0, "alpha", "one")});
  auto replica = open_replica("replica");
  ASSERT_EQ(scores(*replica, {"alpha"}).size(), 1u);  // the bot is now loaded there
  add_document(bot_, "b.md", {chunk(0, "alpha", "two")});
  // The replica's follower is woken by NOTIFY at commit (or polls every second): its index reaches the new
  // version without a search waiting for it. Seen from here: the next search finds it current already.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  std::size_t found = 0;
  while (std::chrono::steady_clock::now() < deadline && found != 2) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    found = scores(*replica, {"alpha"}).size();
  }
  EXPECT_EQ(found, 2u);
}

TEST_F(PostgresStoreTest, ReplicasStartingTogetherMigrateOnce) {
  const std::string url = parley::testing::PostgresServer::instance().create_database();
  std::vector<std::future<Result<std::unique_ptr<Store>>>> opening;
  for (int i = 0; i < 4; ++i) {
    StoreOptions options;
    options.url = url;
    options.index_dir = dir_.file("together" + std::to_string(i));
    opening.push_back(std::async(std::launch::async, [options] { return open_store(options); }));
  }
  std::set<int> versions;
  std::vector<std::unique_ptr<Store>> stores;
  for (auto& future : opening) {
    auto opened = future.get();
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    versions.insert(opened.value()->schema_version());
    stores.push_back(std::move(opened).value());
  }
  EXPECT_EQ(versions.size(), 1u);
  EXPECT_EQ(*versions.begin(), store_->schema_version());
}

TEST_F(PostgresStoreTest, AWrongAddressOrPasswordIsOneClearErrorWithoutThePassword) {
  StoreOptions options;
  options.url = "postgresql://parley:s3cret-pw@/nosuchdb?host=" + parley::testing::PostgresServer::instance().socket_dir();
  auto opened = open_store(options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::unavailable);
  EXPECT_THAT(opened.error().message, HasSubstr("nosuchdb"));
  EXPECT_THAT(opened.error().message, Not(HasSubstr("s3cret-pw")));
  options.url = "postgresql://parley:s3cret-pw@/db?host=/nonexistent-folder";
  opened = open_store(options);
  ASSERT_FALSE(opened.ok());
  EXPECT_THAT(opened.error().message, HasSubstr("cannot connect"));
  EXPECT_THAT(opened.error().message, Not(HasSubstr("s3cret-pw")));
  options.url = "mysql://somewhere/db";
  opened = open_store(options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::invalid_request);
}

TEST_F(PostgresStoreTest, AnExhaustedPoolAnswersUnavailableAfterItsWait) {
  auto small = open_replica("small", /*pool_size=*/1, /*pool_wait_ms=*/100);
  std::promise<void> holding, release;
  std::thread holder([&] {
    (void)small->read(Scope::system(), [&](ReadTx&) -> Status {
      holding.set_value();
      release.get_future().wait();
      return {};
    });
  });
  holding.get_future().wait();
  const auto started = std::chrono::steady_clock::now();
  const Status busy = small->read(Scope::system(), [](ReadTx& tx) -> Status { return tx.workspaces().ok() ? Status{} : Status{}; });
  const auto waited = std::chrono::steady_clock::now() - started;
  release.set_value();
  holder.join();
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().code, ErrorCode::unavailable);
  EXPECT_THAT(busy.error().message, HasSubstr("connections are busy"));
  EXPECT_GE(waited, std::chrono::milliseconds(90));
  EXPECT_LT(waited, std::chrono::seconds(2));
  // Free again: the next transaction gets the connection.
  EXPECT_TRUE(small->read(Scope::system(), [](ReadTx& tx) { return tx.workspaces().ok() ? Status{} : Status{}; }).ok());
}

TEST_F(PostgresStoreTest, ConcurrentClaimsTakeEachDeliveryOnce) {
  auto replica = open_replica("replica");
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) -> Status {
    for (int i = 0; i < 200; ++i) {
      Delivery delivery;
      delivery.workspace_id = workspace_a_;
      delivery.bot_id = bot_;
      delivery.channel = "email";
      delivery.target = "owner@example.com";
      delivery.event_id = "evt_" + std::to_string(i);
      delivery.event_type = "lead.created";
      delivery.payload = "{}";
      delivery.next_attempt_at = 0;
      delivery.expires_at = 1LL << 50;
      PARLEY_TRY(tx.add_delivery(delivery));
    }
    return {};
  }).ok());
  std::mutex mutex;
  std::vector<std::int64_t> claimed;
  const auto claimer = [&](Store& store, std::string owner) {
    for (int round = 0; round < 40; ++round) {
      std::vector<Delivery> batch;
      ASSERT_TRUE(store.write(Scope::system(), [&](WriteTx& tx) -> Status {
        PARLEY_ASSIGN_OR_RETURN(batch, tx.claim_deliveries("email", 1000, owner, 1LL << 49, 7));
        return {};
      }).ok());
      std::lock_guard lock(mutex);
      for (const auto& delivery : batch) claimed.push_back(delivery.id);
    }
  };
  std::thread a(claimer, std::ref(*store_), "a"), b(claimer, std::ref(*replica), "b"), c(claimer, std::ref(*replica), "c");
  a.join();
  b.join();
  c.join();
  const std::set<std::int64_t> distinct(claimed.begin(), claimed.end());
  EXPECT_EQ(distinct.size(), claimed.size());  // nobody took a delivery somebody else held
  EXPECT_EQ(distinct.size(), 200u);
}

TEST_F(PostgresStoreTest, ConcurrentRunnersClaimEachJobOnce) {
  auto replica = open_replica("replica");
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) -> Status {
    for (int i = 0; i < 30; ++i) {
      Job job;
      job.bot_id = bot_;
      job.kind = "crawl";
      PARLEY_TRY(tx.create_job(job));
    }
    return {};
  }).ok());
  std::mutex mutex;
  std::vector<std::string> claimed;
  const auto runner = [&](Store& store, std::string owner) {
    for (;;) {
      std::optional<Job> job;
      const Status status = store.write(Scope::system(), [&](WriteTx& tx) -> Status {
        PARLEY_ASSIGN_OR_RETURN(job, tx.claimable_job(1000));
        if (!job) return {};
        job->state = JobState::running;
        job->lease_owner = owner;
        job->lease_expires_at = 1LL << 50;
        return tx.update_job(*job);
      });
      ASSERT_TRUE(status.ok()) << status.error().message;
      if (!job) return;
      std::lock_guard lock(mutex);
      claimed.push_back(job->id);
    }
  };
  std::thread a(runner, std::ref(*store_), "a"), b(runner, std::ref(*replica), "b"), c(runner, std::ref(*replica), "c");
  a.join();
  b.join();
  c.join();
  const std::set<std::string> distinct(claimed.begin(), claimed.end());
  EXPECT_EQ(distinct.size(), claimed.size());
  EXPECT_EQ(distinct.size(), 30u);
}

TEST_F(PostgresStoreTest, ConcurrentCreatorsOnTwoReplicasNeverExceedTheBotQuota) {
  // READ COMMITTED lets two transactions both count quota - 1 bots and both insert; the quota must hold anyway.
  constexpr std::int64_t kQuota = 12;
  auto replica = open_replica("replica");
  std::atomic<int> created{0}, refused{0};
  const auto creator = [&](Store& store, int thread) {
    for (int i = 0; i < 10; ++i) {
      const Status status = store.write(Scope::workspace(workspace_a_), [&](WriteTx& tx) -> Status {
        PARLEY_TRY(tx.create_bot_within_quota("bot " + std::to_string(thread) + "." + std::to_string(i), Json::object(),
                                              kQuota));
        return {};
      });
      if (status.ok()) {
        ++created;
      } else {
        EXPECT_EQ(status.error().code, ErrorCode::forbidden) << status.error().message;
        EXPECT_THAT(status.error().message, HasSubstr("limit of 12 bots"));
        ++refused;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int thread = 0; thread < 6; ++thread) threads.emplace_back(creator, std::ref(thread % 2 ? *replica : *store_), thread);
  for (auto& thread : threads) thread.join();
  std::size_t bots = 0;
  ASSERT_TRUE(replica->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto rows, tx.bots());
    bots = rows.size();
    return {};
  }).ok());
  EXPECT_EQ(bots, static_cast<std::size_t>(kQuota));  // the fixture's bot and 11 of the 60 attempts
  EXPECT_EQ(created.load(), kQuota - 1);
  EXPECT_EQ(refused.load(), 60 - (kQuota - 1));
  // Another workspace's quota is its own.
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_b_), [&](WriteTx& tx) -> Status {
    PARLEY_TRY(tx.create_bot_within_quota("B's", Json::object(), kQuota));
    return {};
  }).ok());
}

TEST_F(PostgresStoreTest, TwoReplicasExtendingTheAuditLogKeepOneChain) {
  auto replica = open_replica("replica");
  const auto recorder = [&](Store& store, int from) {
    for (int i = 0; i < 15; ++i) {
      const Status status = store.write(Scope::workspace(workspace_a_), [&](WriteTx& tx) {
        return audit::record(tx, workspace_a_, {"cli", "bot.update", "bot_" + std::to_string(from + i)});
      });
      ASSERT_TRUE(status.ok()) << status.error().message;
    }
  };
  std::thread a(recorder, std::ref(*store_), 0), b(recorder, std::ref(*replica), 100);
  a.join();
  b.join();
  ASSERT_TRUE(store_->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto check, audit::verify_log(tx));
    EXPECT_TRUE(check.valid) << check.problem;
    EXPECT_EQ(check.checked, 30);
    return {};
  }).ok());
}

TEST_F(PostgresStoreTest, ARestartedServerFailsTransactionsCleanlyThenRecovers) {
  add_document(bot_, "a.md", {chunk(0, "alpha", "one")});
  ASSERT_EQ(scores(*store_, {"alpha"}).size(), 1u);
  auto& server = parley::testing::PostgresServer::instance();
  server.stop();
  const Status down = store_->read(Scope::workspace(workspace_a_), [](ReadTx& tx) -> Status {
    PARLEY_TRY(tx.bots());
    return {};
  });
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, ErrorCode::unavailable);
  server.start();
  // Connections broken by the restart are replaced: writes and reads work again, nothing was lost.
  add_document(bot_, "b.md", {chunk(0, "alpha", "two")});
  EXPECT_EQ(scores(*store_, {"alpha"}).size(), 2u);
}

// `parley store copy`: an embedded (SQLite) store with knowledge, a conversation and an audit chain, copied into an
// empty PostgreSQL database: ids kept, the same search scores, the chain still verifies, new ids continue after the
// copied ones; a second copy into the now non-empty database is refused and changes nothing.
TEST_F(PostgresStoreTest, StoreCopyMovesAnEmbeddedStoreWithItsIds) {
  const std::string embedded_path = dir_.file("embedded.db");
  std::string workspace, bot, conversation_id;
  std::vector<std::pair<std::int64_t, double>> embedded_scores;
  {
    auto embedded = parley::testing::open_test_store(StoreOptions{embedded_path});
    ASSERT_TRUE(embedded->write(Scope::system(), [&](WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto created, tx.create_workspace("Embedded"));
      workspace = created.id;
      return {};
    }).ok());
    ASSERT_TRUE(embedded->write(Scope::workspace(workspace), [&](WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto created, tx.create_bot("Shop", Json{{"language", "en"}}));
      bot = created.id;
      PARLEY_ASSIGN_OR_RETURN(auto source, tx.create_source(bot, SourceKind::file, "a.md"));
      Document document;
      document.bot_id = bot;
      document.source_id = source.id;
      document.uri = "a.md";
      document.title = "A";
      PARLEY_TRY(tx.put_document(document, {chunk(0, "shipping", "we ship worldwide"), chunk(1, "returns", "ship back"),
                                            chunk(2, "hours", "open daily", ChunkKind::qa)}));
      PARLEY_ASSIGN_OR_RETURN(auto conversation, tx.create_conversation(bot));
      conversation_id = conversation.id;
      Message message;
      message.conversation_id = conversation.id;
      message.role = "user";
      message.text = "Do you ship?";
      PARLEY_TRY(tx.append_message(message));
      for (int i = 0; i < 3; ++i) PARLEY_TRY(audit::record(tx, workspace, {"cli", "bot.update", bot}));
      return {};
    }).ok());
    ChunkQuery query;
    query.terms = {"ship"};
    ASSERT_TRUE(embedded->read(Scope::workspace(workspace), [&](ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto found, tx.search_chunks(bot, query));
      for (const auto& hit : found.hits) embedded_scores.emplace_back(hit.chunk_id, hit.score);
      return {};
    }).ok());
  }
  ASSERT_EQ(embedded_scores.size(), 2u);

  const std::string url = parley::testing::PostgresServer::instance().create_database();
  std::map<std::string, std::int64_t> counts;
  auto copied = copy_to_postgres(embedded_path, url, [&](const CopiedTable& table) { counts[table.name] = table.rows; });
  ASSERT_TRUE(copied.ok()) << copied.error().message;
  EXPECT_EQ(counts["workspaces"], 1);
  EXPECT_EQ(counts["bots"], 1);
  EXPECT_EQ(counts["chunks"], 3);
  EXPECT_EQ(counts["messages"], 1);
  EXPECT_EQ(counts["audit_log"], 3);

  StoreOptions options;
  options.url = url;
  options.index_dir = dir_.file("copied-index");
  auto copy = parley::testing::open_test_store(options);
  ChunkQuery query;
  query.terms = {"ship"};
  ASSERT_TRUE(copy->write(Scope::workspace(workspace), [&](WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto found, tx.search_chunks(bot, query));
    std::vector<std::pair<std::int64_t, double>> copied_scores;
    for (const auto& hit : found.hits) copied_scores.emplace_back(hit.chunk_id, hit.score);
    EXPECT_EQ(copied_scores, embedded_scores);
    PARLEY_ASSIGN_OR_RETURN(auto messages, tx.messages(conversation_id));
    EXPECT_EQ(messages.size(), 1u);
    PARLEY_ASSIGN_OR_RETURN(auto check, audit::verify_log(tx));
    EXPECT_TRUE(check.valid) << check.problem;
    EXPECT_EQ(check.checked, 3);
    // New rows take ids after the copied ones.
    Message reply;
    reply.conversation_id = conversation_id;
    reply.role = "assistant";
    reply.text = "Yes.";
    PARLEY_ASSIGN_OR_RETURN(auto stored, tx.append_message(reply));
    EXPECT_GT(stored.id, messages.front().id);
    return {};
  }).ok());

  auto again = copy_to_postgres(embedded_path, url);
  ASSERT_FALSE(again.ok());
  ASSERT_TRUE(copy->read(Scope::workspace(workspace), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto messages, tx.messages(conversation_id));
    EXPECT_EQ(messages.size(), 2u);
    return {};
  }).ok());
}

}  // namespace
}  // namespace parley::store
