#include "store/store_metrics.h"

namespace parley::store {

StoreMetrics& store_metrics() {
  static auto& wait = metrics::registry().histogram(
      "parley_store_pool_wait_seconds", "Time a transaction waited for its connection (the writer, a pooled reader)",
      {"pool"});
  static auto& transaction = metrics::registry().histogram(
      "parley_store_transaction_seconds", "Store transactions from begin to commit or rollback", {"kind"});
  static StoreMetrics instance{wait.labels({"writer"}), wait.labels({"reader"}), transaction.labels({"write"}),
                               transaction.labels({"read"})};
  return instance;
}

}  // namespace parley::store
