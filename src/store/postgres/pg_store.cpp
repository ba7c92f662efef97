// The PostgreSQL implementation of the store: a pool of connections with a bounded wait (a request that finds
// none free within it gets a clear 503), one database transaction per read or write (reads are REPEATABLE READ
// snapshots, writes READ COMMITTED with row locks where rows are claimed), and this replica's search index.
#include "store/postgres/pg_store.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include <spdlog/spdlog.h>

#include "store/postgres/broadcast.h"
#include "store/postgres/connection.h"
#include "store/postgres/pg_tx.h"
#include "store/postgres/schema.h"
#include "store/postgres/search_index.h"
#include "store/sqlite/connection.h"
#include "store/store_metrics.h"

namespace parley::store::postgres {
namespace {

constexpr std::size_t kMaxCachedStatements = 512;

Error to_error(const PgError& error) {
  if (error.connection_lost()) {
    return make_error(ErrorCode::unavailable, "the database is unavailable: " + std::string(error.what()));
  }
  const std::string& state = error.sqlstate();
  if (state.starts_with("23")) return make_error(ErrorCode::conflict, error.what());  // integrity constraints
  if (state == "40001" || state == "40P01" || state == "55P03" || state.starts_with("53") || state.starts_with("57") ||
      state.starts_with("08")) {
    // serialization failure, deadlock, lock not available, resources, operator intervention, connection
    return make_error(ErrorCode::unavailable, "the database is busy or restarting; retry shortly");
  }
  return make_error(ErrorCode::internal, error.what());
}

// Connections, at most `size`, each used by one transaction at a time.
class ConnectionPool {
 public:
  ConnectionPool(std::string url, int size, std::chrono::milliseconds wait)
      : url_(std::move(url)), size_(std::max(1, size)), wait_(wait) {}

  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept : pool_(other.pool_), connection_(std::move(other.connection_)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { pool_.give_back(std::move(connection_)); }
    Connection& operator*() { return *connection_; }

   private:
    ConnectionPool& pool_;
    std::unique_ptr<Connection> connection_;
  };

  int size() const { return size_; }

  Result<Lease> acquire() {
    std::unique_lock lock(mutex_);
    if (!free_.wait_for(lock, wait_, [&] { return !idle_.empty() || open_ < size_; })) {
      return make_error(ErrorCode::unavailable, "all " + std::to_string(size_) +
                                                    " database connections are busy; retry shortly");
    }
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      if (!connection->broken()) return Lease(*this, std::move(connection));
      --open_;  // a connection the server closed meanwhile (restart): replaced below
    }
    ++open_;
    lock.unlock();
    try {
      return Lease(*this, std::make_unique<Connection>(url_));
    } catch (const PgError& error) {
      lock.lock();
      --open_;
      free_.notify_one();
      return make_error(ErrorCode::unavailable, error.what());
    }
  }

 private:
  void give_back(std::unique_ptr<Connection> connection) {
    if (!connection) return;
    {
      std::lock_guard lock(mutex_);
      if (connection->broken()) {
        --open_;
      } else {
        idle_.push_back(std::move(connection));
      }
    }
    free_.notify_one();
  }

  const std::string url_;
  const int size_;
  const std::chrono::milliseconds wait_;
  std::mutex mutex_;
  std::condition_variable free_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;
};

void rollback_quietly(Connection& db) {
  if (db.broken()) return;
  try {
    db.exec("ROLLBACK");
  } catch (const PgError&) {
    // the connection went away meanwhile: the server rolls back
  }
}

class PgStore final : public Store {
 public:
  explicit PgStore(const StoreOptions& options)
      : url_(options.url), pool_(options.url, options.pool_size, std::chrono::milliseconds(options.pool_wait_ms)) {
    {
      Connection db(options.url);
      schema_version_ = migrate(db);
    }
    index_ = std::make_unique<SearchIndex>(options.url, options.index_dir);
    index_->start_following();
  }

  Status read(const Scope& scope, const std::function<Status(ReadTx&)>& work) override {
    return run(scope, false, [&](PgTx& tx) { return work(tx); });
  }

  Status write(const Scope& scope, const std::function<Status(WriteTx&)>& work) override {
    return run(scope, true, [&](PgTx& tx) { return work(tx); });
  }

  int schema_version() const override { return schema_version_; }

  std::unique_ptr<Broadcast> open_broadcast(std::string_view channel, BroadcastReceiver receive) override {
    return std::make_unique<PgBroadcast>(
        url_, channel, std::move(receive), [this](const std::function<void(Connection&)>& work) {
          return run(Scope::system(), true, [&](PgTx& tx) -> Status {
            work(tx.connection());
            return {};
          });
        });
  }

 private:
  template <typename Work>
  Status run(const Scope& scope, bool writable, Work&& work) {
    // A connection found broken before the transaction began (the server restarted since it was last used) is
    // dropped and another taken; once work has run, a broken connection fails the transaction, which the server
    // rolled back.
    StoreMetrics& metrics = store_metrics();
    for (int attempt = 0;; ++attempt) {
      const auto asked = std::chrono::steady_clock::now();
      PARLEY_ASSIGN_OR_RETURN(auto lease, pool_.acquire());
      // The same series as SQLite's: the wait for a free connection, then the transaction (the wait excluded).
      struct Timed {
        metrics::Histogram& histogram;
        std::chrono::steady_clock::time_point from;
        ~Timed() { histogram.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - from).count()); }
      };
      const Timed timed{writable ? metrics.write_transaction : metrics.read_transaction, std::chrono::steady_clock::now()};
      (writable ? metrics.writer_wait : metrics.reader_wait)
          .observe(std::chrono::duration<double>(timed.from - asked).count());
      Connection& db = *lease;
      bool began = false;
      try {
        if (db.cached_statement_count() > kMaxCachedStatements) db.clear_statement_cache();
        db.exec(writable ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        began = true;
        PgTx tx(db, scope, writable, *index_);
        Status status = work(tx);
        if (!status.ok()) {
          db.exec("ROLLBACK");
          return status;
        }
        // Replicas' search indexes follow the log; waking them at commit saves them their next poll.
        if (tx.changed_index()) db.exec(std::string("NOTIFY ") + SearchIndex::kChannel);
        db.exec("COMMIT");
        return status;
      } catch (const PgError& error) {
        // Every idle connection may be stale after a restart: each is tried (and dropped) at most once.
        if (error.connection_lost() && !began && attempt < pool_.size()) continue;
        if (!error.connection_lost()) rollback_quietly(db);
        spdlog::warn("store: {}", error.what());
        return to_error(error);
      } catch (const sqlite::SqliteError& error) {  // this replica's search index
        if (began) rollback_quietly(db);
        spdlog::error("store: search index: {}", error.what());
        return make_error(ErrorCode::internal, "search index error");
      } catch (const std::exception& error) {
        if (began) rollback_quietly(db);
        spdlog::error("store: unexpected error: {}", error.what());
        return make_error(ErrorCode::internal, "store error");
      }
    }
  }

  const std::string url_;
  ConnectionPool pool_;
  int schema_version_ = 0;
  std::unique_ptr<SearchIndex> index_;
};

}  // namespace

bool is_postgres_url(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

Result<std::unique_ptr<Store>> open_pg_store(const StoreOptions& options) {
  try {
    return std::unique_ptr<Store>(std::make_unique<PgStore>(options));
  } catch (const PgError& error) {
    return make_error(ErrorCode::unavailable, error.what());
  } catch (const std::exception& error) {
    return make_error(ErrorCode::unavailable, "cannot open the PostgreSQL store at " + redact_url(options.url) + ": " +
                                                  error.what());
  }
}

}  // namespace parley::store::postgres
