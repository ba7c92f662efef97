// Versioned schema of the SQLite store, and the DDL of each bot's full-text index.
#pragma once

#include <string>
#include <string_view>

#include "store/sqlite/connection.h"

namespace parley::store::sqlite {

// Applies every migration newer than the database's version, each in its own transaction; returns the version.
int migrate(Connection& db);

// Each bot has its own full-text table, so that BM25 statistics (and the cost of a query) are the bot's own.
std::string fts_table(std::string_view bot_id);
std::string fts_vocab_table(std::string_view bot_id);
void create_bot_index(Connection& db, std::string_view bot_id);
void drop_bot_index(Connection& db, std::string_view bot_id);

}  // namespace parley::store::sqlite
