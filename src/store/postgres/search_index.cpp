#include "store/postgres/search_index.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "store/sqlite/chunk_index.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/fts_rank.h"

namespace parley::store::postgres {
namespace {

constexpr std::size_t kMaxIdleReaders = 16;
// The follower catches up at least this often, notifications or not.
constexpr auto kPollInterval = std::chrono::seconds(1);
// Log rows older than this are deleted (by any replica's follower). A replica whose last catch-up is older than
// half of it starts its index afresh, in case rows it had not read yet are gone.
constexpr std::int64_t kLogRetentionMillis = 60 * 60 * 1000;
constexpr auto kPruneInterval = std::chrono::minutes(1);

void open_local(sqlite::Connection& db) {
  if (!sqlite::register_fts_rank(db.handle())) throw std::runtime_error("SQLite was built without FTS5");
  // A copy that is rebuilt at start: losing it in a crash costs nothing.
  db.exec("PRAGMA synchronous=OFF");
}

}  // namespace

// The local database's reading connections, pooled; each keeps its own row-length cache (fts_rank.h).
class SearchIndex::Readers {
 public:
  explicit Readers(std::string path) : path_(std::move(path)) {}

  template <typename Work>
  auto with(Work&& work) {
    std::unique_ptr<sqlite::Connection> db = take();
    struct GiveBack {
      Readers& readers;
      std::unique_ptr<sqlite::Connection>& db;
      ~GiveBack() { readers.give_back(std::move(db)); }
    } give_back{*this, db};
    db->prepare("BEGIN").run();
    struct End {
      sqlite::Connection& db;
      ~End() {
        try {
          db.prepare("COMMIT").run();
        } catch (const std::exception&) {
          // a read transaction: nothing to lose
        }
      }
    } end{*db};
    return work(*db);
  }

 private:
  std::unique_ptr<sqlite::Connection> take() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        auto db = std::move(idle_.back());
        idle_.pop_back();
        return db;
      }
    }
    auto db = std::make_unique<sqlite::Connection>(path_);
    open_local(*db);
    return db;
  }

  void give_back(std::unique_ptr<sqlite::Connection> db) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < kMaxIdleReaders) idle_.push_back(std::move(db));
  }

  std::string path_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<sqlite::Connection>> idle_;
};

SearchIndex::SearchIndex(std::string url, std::string directory) : url_(std::move(url)), directory_(std::move(directory)) {
  namespace fs = std::filesystem;
  if (directory_.empty()) {
    std::string pattern = (fs::temp_directory_path() / "parley-index-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a folder for the search index");
    directory_ = pattern;
    own_directory_ = true;
  } else {
    fs::create_directories(directory_);
  }
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::runtime_error("cannot create an eventfd for the search index");
  path_ = (fs::path(directory_) / "search-index.db").string();
  // Rebuilt from PostgreSQL: whatever an earlier process left is not trusted.
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_ + suffix);
  writer_ = std::make_unique<sqlite::Connection>(path_);
  open_local(*writer_);
  sqlite::create_chunk_index(*writer_);
  readers_ = std::make_unique<Readers>(path_);
}

SearchIndex::~SearchIndex() {
  if (follower_.joinable()) {
    follower_.request_stop();
    const std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);  // ends the follower's wait now, not at its next poll
    follower_.join();
  }
  if (wake_fd_ >= 0) ::close(wake_fd_);
  readers_.reset();
  writer_.reset();
  source_.reset();
  std::error_code ignored;
  if (own_directory_) std::filesystem::remove_all(directory_, ignored);
}

void SearchIndex::start_following() {
  follower_ = std::jthread([this](std::stop_token stop) { follow(stop); });
}

void SearchIndex::ensure(std::string_view bot_id, std::int64_t version) {
  const auto current = [&] {
    std::lock_guard lock(versions_mutex_);
    const auto it = versions_.find(std::string(bot_id));
    return it != versions_.end() && it->second >= version;
  };
  if (current()) return;
  std::lock_guard lock(writer_mutex_);
  if (current()) return;  // another request caught up meanwhile
  catch_up_locked(bot_id);
}

void SearchIndex::catch_up() {
  std::lock_guard lock(writer_mutex_);
  {
    std::lock_guard versions_lock(versions_mutex_);
    if (versions_.empty()) return;  // nothing loaded, nothing to follow
  }
  catch_up_locked({});
}

void SearchIndex::catch_up_locked(std::string_view load_bot) {
  if (!source_ || source_->broken()) {
    source_.reset();
    source_ = std::make_unique<Connection>(url_);
  }
  std::unordered_map<std::string, std::int64_t> versions;
  {
    std::lock_guard lock(versions_mutex_);
    versions = versions_;
  }
  // Rows this replica has not read may have been pruned: start afresh.
  static_assert(kLogRetentionMillis > 0);
  const std::int64_t now = unix_millis();
  if (!snapshot_.empty() && now - last_catch_up_ > kLogRetentionMillis / 2) {
    writer_->exec("DELETE FROM chunk_index; DELETE FROM chunk_index_bots;");
    versions.clear();
    snapshot_.clear();
  }
  source_->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  bool local_open = false;
  try {
    std::string snapshot;
    {
      auto current = source_->prepare("SELECT pg_current_snapshot()::text");
      current.step();
      snapshot = current.text(0);
    }
    writer_->prepare("BEGIN IMMEDIATE").run();
    local_open = true;
    sqlite::ChunkIndex index(*writer_);
    std::set<std::string> touched;
    if (!snapshot_.empty()) {
      // Every chunk named by a row committed since the last snapshot, as it is now.
      auto changes = source_->prepare(
          "SELECT l.bot_id, l.op, l.chunk_id, c.id IS NOT NULL, c.kind, c.index_title, c.index_headings, "
          "c.index_body FROM knowledge_log l LEFT JOIN chunks c ON c.id = l.chunk_id "
          "WHERE l.xid >= pg_snapshot_xmin(CAST(? AS pg_snapshot)) "
          "AND NOT pg_visible_in_snapshot(l.xid, CAST(? AS pg_snapshot)) ORDER BY l.seq");
      changes.bind(1, snapshot_).bind(2, snapshot_);
      std::set<std::int64_t> done;
      while (changes.step()) {
        const std::string bot = changes.text(0);
        if (!versions.contains(bot)) continue;  // not loaded here: loaded whole when first searched
        if (changes.text(1) == "drop_bot") {
          index.remove_bot(bot);
          versions.erase(bot);
          continue;
        }
        const std::int64_t chunk_id = changes.integer(2);
        if (!done.insert(chunk_id).second) continue;
        touched.insert(bot);
        index.remove(bot, chunk_id);
        if (changes.integer(3) != 0) {
          index.add(bot, chunk_id, {changes.text(5), changes.text(6), changes.text(7)},
                    changes.text(4) == "qa" ? ChunkKind::qa : ChunkKind::passage);
        }
      }
    }
    if (!load_bot.empty()) {
      const std::string bot(load_bot);
      if (!versions.contains(bot)) {
        index.remove_bot(bot);
        auto chunks = source_->prepare(
            "SELECT id, kind, index_title, index_headings, index_body FROM chunks WHERE bot_id = ? ORDER BY id");
        chunks.bind(1, bot);
        while (chunks.step()) {
          index.add(bot, chunks.integer(0), {chunks.text(2), chunks.text(3), chunks.text(4)},
                    chunks.text(1) == "qa" ? ChunkKind::qa : ChunkKind::passage);
        }
      }
      touched.insert(bot);
    }
    // The knowledge version each changed bot has in this snapshot: what the index now reflects.
    auto version = source_->prepare("SELECT knowledge_version FROM bots WHERE id = ?");
    for (const auto& bot : touched) {
      version.bind(1, bot);
      if (version.step()) {
        versions[bot] = version.integer(0);
      } else {
        versions.erase(bot);
        index.remove_bot(bot);
      }
      version.reset();
    }
    writer_->prepare("COMMIT").run();
    local_open = false;
    source_->exec("COMMIT");
    snapshot_ = std::move(snapshot);
    last_catch_up_ = now;
  } catch (...) {
    if (local_open) {
      try {
        writer_->prepare("ROLLBACK").run();
      } catch (const std::exception&) {
      }
    }
    if (!source_->broken()) {
      try {
        source_->exec("ROLLBACK");
      } catch (const std::exception&) {
      }
    }
    throw;
  }
  std::lock_guard lock(versions_mutex_);
  versions_ = std::move(versions);
}

ChunkSearch SearchIndex::search(std::string_view bot_id, std::int64_t version, const ChunkQuery& query) {
  if (query.terms.empty() || query.limit <= 0) return {};
  ensure(bot_id, version);
  return readers_->with([&](sqlite::Connection& db) {
    return sqlite::ChunkIndex(db).search(bot_id, query, &db.row_lengths().of(bot_id, version));
  });
}

TermStats SearchIndex::term_stats(std::string_view bot_id, std::int64_t version, const std::vector<std::string>& terms) {
  ensure(bot_id, version);
  return readers_->with([&](sqlite::Connection& db) { return sqlite::ChunkIndex(db).term_stats(bot_id, terms); });
}

std::vector<ChunkIndexTerms> SearchIndex::chunk_terms(std::string_view bot_id, std::int64_t version,
                                                      const std::vector<std::int64_t>& ids) {
  ensure(bot_id, version);
  return readers_->with([&](sqlite::Connection& db) { return sqlite::ChunkIndex(db).chunk_terms(bot_id, ids); });
}

void SearchIndex::follow(std::stop_token stop) {
  std::unique_ptr<Connection> listener;
  auto last_prune = std::chrono::steady_clock::now() - kPruneInterval;
  std::int64_t failures = 0;
  while (!stop.stop_requested()) {
    try {
      if (!listener || listener->broken()) {
        listener.reset();
        listener = std::make_unique<Connection>(url_);
        listener->exec(std::string("LISTEN ") + kChannel);
      }
      // Wait for a notification (or the destructor's wake-up), a second at most.
      pollfd descriptors[2] = {{PQsocket(listener->handle()), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      ::poll(descriptors, 2, static_cast<int>(std::chrono::milliseconds(kPollInterval).count()));
      if (stop.stop_requested()) break;
      PQconsumeInput(listener->handle());
      while (PGnotify* notification = PQnotifies(listener->handle())) PQfreemem(notification);
      catch_up();
      if (std::chrono::steady_clock::now() - last_prune >= kPruneInterval) {
        last_prune = std::chrono::steady_clock::now();
        listener->prepare("DELETE FROM knowledge_log WHERE at < ?").bind(1, unix_millis() - kLogRetentionMillis).run();
      }
      failures = 0;
    } catch (const std::exception& error) {
      // PostgreSQL away (restart, network): try again, quietly after the first report.
      if (failures++ == 0) spdlog::warn("search index: cannot follow the knowledge log: {}", error.what());
      listener.reset();
      pollfd wake{wake_fd_, POLLIN, 0};
      ::poll(&wake, 1, 200);
    }
  }
}

}  // namespace parley::store::postgres
