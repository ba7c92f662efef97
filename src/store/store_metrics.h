// The series every store implementation feeds (metrics/metrics.h): how long transactions waited for a connection
// (SQLite: the writer's mutex; a PostgreSQL pool: a free connection) and how long they took.
#pragma once

#include "metrics/metrics.h"

namespace parley::store {

struct StoreMetrics {
  metrics::Histogram& writer_wait;  // parley_store_pool_wait_seconds{pool="writer"}
  metrics::Histogram& reader_wait;  // parley_store_pool_wait_seconds{pool="reader"}
  metrics::Histogram& write_transaction;  // parley_store_transaction_seconds{kind="write"}, the wait excluded
  metrics::Histogram& read_transaction;   // parley_store_transaction_seconds{kind="read"}
};

StoreMetrics& store_metrics();

}  // namespace parley::store
