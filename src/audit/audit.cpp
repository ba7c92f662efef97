#include "audit/audit.h"

#include <sodium.h>

#include "common/clock.h"

namespace parley::audit {

std::string entry_hash(const store::AuditEntry& entry) {
  // nlohmann::json objects keep their keys sorted: the serialisation is canonical.
  const store::Json fields = {{"workspace_id", entry.workspace_id}, {"seq", entry.seq},       {"at", entry.at},
                              {"actor", entry.actor},               {"action", entry.action}, {"target", entry.target},
                              {"before", entry.before},             {"after", entry.after},   {"prev_hash", entry.prev_hash}};
  const std::string bytes = fields.dump();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

Status record(store::WriteTx& tx, const std::string& workspace_id, const Change& change) {
  PARLEY_ASSIGN_OR_RETURN(const auto last, tx.last_audit_entry());
  store::AuditEntry entry;
  entry.workspace_id = workspace_id;
  entry.seq = last ? last->seq + 1 : 1;
  entry.at = unix_millis();
  entry.actor = change.actor;
  entry.action = change.action;
  entry.target = change.target;
  entry.before = change.before;
  entry.after = change.after;
  entry.prev_hash = last ? last->hash : "";
  entry.hash = entry_hash(entry);
  return tx.append_audit_entry(entry);
}

ChainCheck verify(const std::vector<store::AuditEntry>& entries, const std::string& previous_hash) {
  ChainCheck check;
  std::string previous = previous_hash;
  std::int64_t expected_seq = entries.empty() ? 0 : (previous_hash.empty() ? 1 : entries.front().seq);
  for (const auto& entry : entries) {
    const auto fail = [&](std::string problem) {
      check.valid = false;
      check.first_bad_seq = entry.seq;
      check.problem = std::move(problem);
      return check;
    };
    if (entry.seq != expected_seq) return fail("entry " + std::to_string(expected_seq) + " is missing");
    if (entry.prev_hash != previous) return fail("does not follow the previous entry");
    if (entry_hash(entry) != entry.hash) return fail("its content does not match its hash");
    previous = entry.hash;
    ++expected_seq;
    ++check.checked;
  }
  return check;
}

Result<ChainCheck> verify_log(store::ReadTx& tx) {
  ChainCheck total;
  std::string previous;
  std::int64_t after = 0;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(const auto page, tx.audit_entries(after, 1000));
    if (page.empty()) break;
    ChainCheck part = verify(page, previous);
    if (after == 0 && !page.empty() && page.front().seq != 1) {
      part.valid = false;
      part.first_bad_seq = page.front().seq;
      part.problem = "the log does not start at entry 1";
    }
    total.checked += part.checked;
    if (!part.valid) {
      total.valid = false;
      total.first_bad_seq = part.first_bad_seq;
      total.problem = part.problem;
      return total;
    }
    previous = page.back().hash;
    after = page.back().seq;
  }
  return total;
}

store::Json entry_view(const store::AuditEntry& entry) {
  return {{"seq", entry.seq},         {"at", entry.at},         {"actor", entry.actor},
          {"action", entry.action},   {"target", entry.target}, {"before", entry.before},
          {"after", entry.after},     {"prev_hash", entry.prev_hash}, {"hash", entry.hash}};
}

}  // namespace parley::audit
