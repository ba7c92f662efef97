// A bot's test suite: its cases and each case's latest result.
#include "common/clock.h"
#include "common/ids.h"
#include "store/sql/sql_tx.h"

namespace parley::store {

Result<std::vector<EvalCase>> SqlTx::eval_cases(std::string_view bot_id) {
  return all(sql({"SELECT ", kEvalCaseColumns, " FROM eval_cases WHERE bot_id = ? AND ", kInScope,
                  " ORDER BY position"}),
             read_eval_case, bot_id);
}

Result<EvalCase> SqlTx::create_eval_case(const EvalCase& eval_case) {
  PARLEY_ASSIGN_OR_RETURN(const auto workspace_id, bot_workspace(eval_case.bot_id));
  if (!workspace_id) return make_error(ErrorCode::not_found, "no such bot");
  EvalCase stored = eval_case;
  stored.id = new_ordered_id("case");
  stored.workspace_id = *workspace_id;
  stored.created_at = unix_millis();
  stored.last.reset();
  // Listed in the order added, whatever the clock says.
  db_.prepare("INSERT INTO eval_cases (id, workspace_id, bot_id, question, expect_source, expect_text, "
              "expect_decline, position, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
              "(SELECT COALESCE(MAX(position), 0) + 1 FROM eval_cases WHERE bot_id = ?), ?)")
      .bind_positional(stored.id, stored.workspace_id, stored.bot_id, stored.question, stored.expect_source,
                       stored.expect_text, stored.expect_decline ? 1 : 0, stored.bot_id, stored.created_at)
      .run();
  return stored;
}

Status SqlTx::delete_eval_case(std::string_view bot_id, std::string_view case_id) {
  auto stmt = db_.prepare(sql({"DELETE FROM eval_cases WHERE id = ? AND bot_id = ? AND ", kInScope}));
  stmt.bind_positional(case_id, bot_id);
  bind_scope(stmt);
  stmt.run();
  if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such test case for this bot");
  return {};
}

Status SqlTx::record_eval_result(std::string_view bot_id, std::string_view case_id, const EvalResult& result) {
  auto stmt = db_.prepare(sql({"UPDATE eval_cases SET last_passed = ?, last_answer = ?, last_mode = ?, "
                               "last_sources = ?, last_run_at = ? WHERE id = ? AND bot_id = ? AND ", kInScope}));
  stmt.bind_positional(result.passed ? 1 : 0, result.answer, result.mode, sources_to_json(result.sources).dump(),
                       result.run_at, case_id, bot_id);
  bind_scope(stmt);
  stmt.run();
  if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such test case for this bot");
  return {};
}

}  // namespace parley::store
