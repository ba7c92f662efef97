// The audit log: every change to bots, sources, keys, users and settings, recorded with who, when, what (before and
// after), in the same transaction as the change. Append-only (the store's table refuses updates and deletes) and
// tamper-evident: each entry's hash covers the previous entry's hash and its own fields, so changing, removing or
// reordering any stored entry breaks every hash after it (verify()).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace parley::audit {

struct Change {
  std::string actor;   // "key:<id>", "user:<id>", "cli"
  std::string action;  // "bot.create", "bot.update", "bot.delete", "source.add", "source.delete", "key.create", ...
  std::string target;  // the object's id
  store::Json before = nullptr;
  store::Json after = nullptr;
};

// Appends `change` to the audit log of `workspace_id` (the transaction's workspace) with the next seq and hash.
Status record(store::WriteTx& tx, const std::string& workspace_id, const Change& change);

// The hash of an entry from its fields and prev_hash (hex SHA-256 over a canonical JSON serialisation).
std::string entry_hash(const store::AuditEntry& entry);

struct ChainCheck {
  bool valid = true;
  std::int64_t checked = 0;
  std::int64_t first_bad_seq = 0;  // when not valid
  std::string problem;
};
// Checks a run of entries in seq order starting at seq 1 (or continuing from `previous_hash`).
ChainCheck verify(const std::vector<store::AuditEntry>& entries, const std::string& previous_hash = "");

// Reads the whole log of the read transaction's workspace in pages and verifies it.
Result<ChainCheck> verify_log(store::ReadTx& tx);

// A JSON view of an entry (for the API and exports).
store::Json entry_view(const store::AuditEntry& entry);

}  // namespace parley::audit
