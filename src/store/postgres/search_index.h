// This replica's full-text index of the knowledge in PostgreSQL: the SQLite store's chunk index (chunk_index.h) in
// a local database, so that a search ranks exactly as on SQLite, as fast, and without a round trip.
//
// PostgreSQL stays the system of record: chunks carry their analysed terms, and every change to the index is
// logged (knowledge_log) in the transaction that makes it. A bot's rows are loaded from PostgreSQL when it is first
// searched here; after that the index follows the log. Which log rows are new is decided by snapshot: a catch-up
// applies the rows visible in its snapshot that were not visible in the previous one (pg_visible_in_snapshot), so
// a transaction that commits late is never skipped. It brings every chunk the rows name to its state in the
// snapshot (present with its terms, or absent), so the order of concurrent writers' rows does not matter.
//
// A search first makes sure the index holds the bot at least at the knowledge version the caller's transaction
// read (catching up on the spot if not), so a change is visible as soon as it is committed, on every replica. A
// follower thread LISTENs for changes (and polls once a second) so that requests rarely wait.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "store/postgres/connection.h"
#include "store/store.h"

namespace parley::store::sqlite {
class Connection;
}

namespace parley::store::postgres {

class SearchIndex {
 public:
  // `url`: the PostgreSQL database; `directory`: where the local database goes (a temporary folder when empty).
  SearchIndex(std::string url, std::string directory);
  SearchIndex(const SearchIndex&) = delete;
  SearchIndex& operator=(const SearchIndex&) = delete;
  ~SearchIndex();

  // Starts following the log in the background.
  void start_following();

  // Searches the bot's chunks as of at least `version` (the bot's knowledge_version the caller read).
  ChunkSearch search(std::string_view bot_id, std::int64_t version, const ChunkQuery& query);
  TermStats term_stats(std::string_view bot_id, std::int64_t version, const std::vector<std::string>& terms);
  std::vector<ChunkIndexTerms> chunk_terms(std::string_view bot_id, std::int64_t version,
                                           const std::vector<std::int64_t>& ids);

  // Applies the log up to now (the follower's work; also called when a search finds the index behind).
  void catch_up();

  // A NOTIFY channel: a writing transaction that changed the index notifies it before committing.
  static constexpr const char* kChannel = "parley_knowledge";

 private:
  class Readers;
  // Loads the bot if needed and brings the index to at least `version` for it. Throws PgError / SqliteError.
  void ensure(std::string_view bot_id, std::int64_t version);
  void catch_up_locked(std::string_view load_bot);
  void follow(std::stop_token stop);

  std::string url_;
  std::string directory_;
  bool own_directory_ = false;
  std::string path_;

  // The writer side: PostgreSQL connection, local writer connection, what is loaded, the last snapshot.
  std::mutex writer_mutex_;
  std::unique_ptr<Connection> source_;
  std::unique_ptr<sqlite::Connection> writer_;
  std::string snapshot_;  // pg_snapshot text of the last catch-up; empty before the first
  std::int64_t last_catch_up_ = 0;  // Unix milliseconds

  mutable std::mutex versions_mutex_;
  std::unordered_map<std::string, std::int64_t> versions_;  // loaded bots -> knowledge version indexed

  std::unique_ptr<Readers> readers_;
  int wake_fd_ = -1;  // an eventfd the destructor writes to end the follower's wait
  std::jthread follower_;
};

}  // namespace parley::store::postgres
