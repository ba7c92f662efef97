// Versioned schema of the PostgreSQL store: forward-only migrations applied under an advisory lock, so replicas
// that start together migrate once.
#pragma once

#include "store/postgres/connection.h"

namespace parley::store::postgres {

// Applies every migration the database lacks, each in its own transaction; returns the schema version.
int migrate(Connection& db);
int latest_schema_version();

}  // namespace parley::store::postgres
