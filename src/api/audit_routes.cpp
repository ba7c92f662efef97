// The workspace's audit log, for owners:
//   GET /api/v1/audit?after=SEQ&limit=N   entries after SEQ (oldest first, up to N, default 100) and the chain check
//   GET /api/v1/audit/export              every entry as JSON lines (a download), the chain check in a header
#include "api/handlers.h"
#include "audit/audit.h"

namespace parley::api {
namespace {

Json chain_view(const audit::ChainCheck& check) {
  Json view = {{"valid", check.valid}, {"checked", check.checked}};
  if (!check.valid) {
    view["first_bad_seq"] = check.first_bad_seq;
    view["problem"] = check.problem;
  }
  return view;
}

}  // namespace

void register_audit_routes(http::Router& router, ApiContext& context) {
  router.add("GET", "/api/v1/audit", admin(context, store::Role::owner, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const int after, int_param(request, "after", 0, 0, 2'000'000'000));
    PARLEY_RESPOND_ON_ERROR(const int limit, int_param(request, "limit", 100, 1, 1000));
    Json entries = Json::array();
    audit::ChainCheck check;
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto rows, tx.audit_entries(after, limit));
      for (const auto& entry : rows) entries.push_back(audit::entry_view(entry));
      PARLEY_ASSIGN_OR_RETURN(check, audit::verify_log(tx));
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, {{"entries", entries}, {"chain", chain_view(check)}});
  }));

  router.add("GET", "/api/v1/audit/export", admin(context, store::Role::owner, [&context](http::Request&, const auth::Principal& who) {
    std::string lines;
    audit::ChainCheck check;
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      std::int64_t after = 0;
      for (;;) {
        PARLEY_ASSIGN_OR_RETURN(const auto rows, tx.audit_entries(after, 1000));
        if (rows.empty()) break;
        for (const auto& entry : rows) lines += audit::entry_view(entry).dump() + "\n";
        after = rows.back().seq;
      }
      PARLEY_ASSIGN_OR_RETURN(check, audit::verify_log(tx));
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    http::Response response = http::text_response(200, std::move(lines), "application/x-ndjson");
    response.headers["Content-Disposition"] = "attachment; filename=\"audit-log.jsonl\"";
    response.headers["X-Audit-Chain"] = check.valid ? "valid" : "broken at " + std::to_string(check.first_bad_seq);
    return response;
  }));
}

}  // namespace parley::api
