// The SQLite implementation of the store: one writer connection behind a mutex (SQLite allows one writer at a
// time anyway, and queuing in-process is cheaper than busy-waiting), and a pool of reader connections that run
// concurrently with it thanks to WAL. A transaction's queries are SqliteTx (sqlite_tx.h).
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "store/sqlite/connection.h"
#include "store/sqlite/fts_rank.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_tx.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "store/store_metrics.h"

namespace parley::store {
namespace sqlite {
namespace {

constexpr std::size_t kMaxCachedStatements = 512;
constexpr std::size_t kMaxIdleReaders = 16;
// The write-ahead log is copied back into the database once it holds this many pages (about 16 MB)...
constexpr int kCheckpointFrames = 4000;
// ... by the checkpointer thread; should it fall this far behind, by the writer itself.
constexpr int kWriterCheckpointFrames = 4 * kCheckpointFrames;

Error to_error(const SqliteError& error) {
  const int primary = error.code() & 0xFF;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return make_error(ErrorCode::unavailable, "the store is busy; retry shortly");
  }
  if (primary == SQLITE_CONSTRAINT) return make_error(ErrorCode::conflict, error.what());
  if (primary == SQLITE_FULL) return make_error(ErrorCode::unavailable, "the disk is full");
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    // Never an answer from damaged pages: the request fails, and the operator is told where to look.
    spdlog::error("store: the database is damaged ({}); run `parley doctor` and restore a backup", error.what());
    return make_error(ErrorCode::unavailable, "the store is damaged; the operator has been alerted");
  }
  return make_error(ErrorCode::internal, error.what());
}

// Runs WAL checkpoints on a thread and connection of its own, so that no commit pays for copying the log back into
// the database (during bulk ingestion that copy, with its fsync, was a third of all commit time). A PASSIVE
// checkpoint never blocks the writer or readers; the writer appends to the log meanwhile.
class Checkpointer {
 public:
  explicit Checkpointer(const std::string& path) : db_(path), thread_([this](std::stop_token stop) { run(stop); }) {}
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  ~Checkpointer() {
    thread_.request_stop();
    thread_.join();
  }

  // Called after each commit of the writer (under its mutex) with the number of pages in the log. A checkpoint is
  // asked for once per kCheckpointFrames new pages: each one ends with an fsync of the database.
  void after_commit(sqlite3* writer, int log_frames) {
    if (log_frames < frames_at_last_request_) frames_at_last_request_ = 0;  // the log started over
    if (log_frames - frames_at_last_request_ < kCheckpointFrames) return;
    frames_at_last_request_ = log_frames;
    if (log_frames >= kWriterCheckpointFrames) {
      sqlite3_wal_checkpoint_v2(writer, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      return;
    }
    {
      std::lock_guard lock(mutex_);
      requested_ = true;
    }
    wake_.notify_one();
  }

 private:
  void run(std::stop_token stop) {
    while (true) {
      {
        std::unique_lock lock(mutex_);
        if (!wake_.wait(lock, stop, [&] { return requested_; })) return;
        requested_ = false;
      }
      const int rc = sqlite3_wal_checkpoint_v2(db_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      if (rc != SQLITE_OK && rc != SQLITE_BUSY) spdlog::warn("store: checkpoint failed: {}", sqlite3_errstr(rc));
    }
  }

  Connection db_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  bool requested_ = false;
  int frames_at_last_request_ = 0;  // the writer's
  std::jthread thread_;  // last: started once everything it uses exists
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::string path) : path_(std::move(path)), writer_(path_), checkpointer_(path_) {
    require_fts_rank(writer_);  // before the migrations: they write the full-text index
    schema_version_ = migrate(writer_);
    // Replaces the writer's automatic checkpoints.
    sqlite3_wal_hook(writer_.handle(), &SqliteStore::after_commit, &checkpointer_);
  }

  Status read(const Scope& scope, const std::function<Status(ReadTx&)>& work) override {
    StoreMetrics& metrics = store_metrics();
    const auto asked = std::chrono::steady_clock::now();
    std::unique_ptr<Connection> db = take_reader();
    const auto taken = std::chrono::steady_clock::now();
    metrics.reader_wait.observe(seconds_between(asked, taken));
    Status status = run_transaction(*db, "BEGIN", scope, [&](SqliteTx& tx) { return work(tx); });
    give_back_reader(std::move(db));
    metrics.read_transaction.observe(seconds_between(taken, std::chrono::steady_clock::now()));
    return status;
  }

  Status write(const Scope& scope, const std::function<Status(WriteTx&)>& work) override {
    StoreMetrics& metrics = store_metrics();
    const auto asked = std::chrono::steady_clock::now();
    std::lock_guard lock(writer_mutex_);
    const auto taken = std::chrono::steady_clock::now();
    metrics.writer_wait.observe(seconds_between(asked, taken));
    Status status = run_transaction(writer_, "BEGIN IMMEDIATE", scope, [&](SqliteTx& tx) { return work(tx); });
    metrics.write_transaction.observe(seconds_between(taken, std::chrono::steady_clock::now()));
    return status;
  }

  int schema_version() const override { return schema_version_; }

 private:
  template <typename Work>
  Status run_transaction(Connection& db, const char* begin, const Scope& scope, Work&& work) {
    bool open = false;
    try {
      if (db.cached_statement_count() > kMaxCachedStatements) db.clear_statement_cache();
      // Prepared once per connection: sqlite3_exec would parse these again on every request.
      db.prepare(begin).run();
      open = true;
      SqliteTx tx(db, scope);
      Status status = work(tx);
      db.prepare(status.ok() ? "COMMIT" : "ROLLBACK").run();
      return status;
    } catch (const SqliteError& error) {
      if (open) rollback_quietly(db);
      spdlog::warn("store: {}", error.what());
      return to_error(error);
    } catch (const std::exception& error) {
      if (open) rollback_quietly(db);
      spdlog::error("store: unexpected error: {}", error.what());
      return make_error(ErrorCode::internal, "store error");
    }
  }

  static double seconds_between(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
  }

  static int after_commit(void* checkpointer, sqlite3* db, const char* /*schema*/, int log_frames) {
    static_cast<Checkpointer*>(checkpointer)->after_commit(db, log_frames);
    return SQLITE_OK;
  }

  static void rollback_quietly(Connection& db) {
    try {
      db.prepare("ROLLBACK").run();
    } catch (const SqliteError&) {
      // SQLite already rolled back (e.g. after SQLITE_FULL); nothing is left open.
    }
  }

  std::unique_ptr<Connection> take_reader() {
    {
      std::lock_guard lock(readers_mutex_);
      if (!idle_readers_.empty()) {
        auto db = std::move(idle_readers_.back());
        idle_readers_.pop_back();
        return db;
      }
    }
    auto db = std::make_unique<Connection>(path_);
    require_fts_rank(*db);
    return db;
  }

  static void require_fts_rank(Connection& db) {
    if (!register_fts_rank(db.handle())) throw SqliteError(SQLITE_ERROR, "SQLite was built without FTS5");
  }

  void give_back_reader(std::unique_ptr<Connection> db) {
    std::lock_guard lock(readers_mutex_);
    if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(db));
  }

  std::string path_;
  std::mutex writer_mutex_;
  Connection writer_;
  Checkpointer checkpointer_;
  int schema_version_ = 0;
  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const StoreOptions& options) {
  try {
    return std::unique_ptr<Store>(std::make_unique<SqliteStore>(options.path));
  } catch (const SqliteError& error) {
    return make_error(ErrorCode::unavailable, error.what());
  } catch (const std::exception& error) {
    return make_error(ErrorCode::unavailable, error.what());
  }
}

}  // namespace sqlite
}  // namespace parley::store
