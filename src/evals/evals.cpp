#include "evals/evals.h"

#include "common/clock.h"
#include "common/utf8.h"
#include "text/analyzer.h"

namespace parley::evals {
namespace {

constexpr std::size_t kMaxQuestionChars = 2000;
constexpr std::size_t kMaxExpectationChars = 500;

Status check_text(std::string_view text, std::string_view what, std::size_t max_chars) {
  if (!is_valid_utf8(text)) return make_error(ErrorCode::invalid_utf8, std::string(what) + " is not valid UTF-8");
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return make_error(ErrorCode::invalid_request, std::string(what) + " is empty");
  }
  if (count_code_points(text) > max_chars) {
    return make_error(ErrorCode::payload_too_large,
                      std::string(what) + " is longer than " + std::to_string(max_chars) + " characters");
  }
  return {};
}

bool contains_folded(std::string_view haystack, const std::string& folded_needle) {
  return text::fold(haystack).find(folded_needle) != std::string::npos;
}

Result<std::string> optional_string(const store::Json& body, const char* key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return make_error(ErrorCode::invalid_request, std::string("`") + key + "` must be a string");
  return it->get<std::string>();
}

store::Json sources_json(const std::vector<store::MessageSource>& sources) {
  store::Json out = store::Json::array();
  for (const auto& source : sources) {
    out.push_back({{"title", source.title}, {"url", source.url}, {"snippet", source.snippet}, {"score", source.score}});
  }
  return out;
}

store::Json result_json(const store::EvalResult& result) {
  return {{"passed", result.passed},
          {"answer", result.answer},
          {"mode", result.mode},
          {"sources", sources_json(result.sources)},
          {"run_at", format_rfc3339(result.run_at)}};
}

store::Json expectations_json(const store::EvalCase& eval_case) {
  const auto or_null = [](const std::string& text) { return text.empty() ? store::Json(nullptr) : store::Json(text); };
  return {{"source", or_null(eval_case.expect_source)},
          {"text", or_null(eval_case.expect_text)},
          {"decline", eval_case.expect_decline}};
}

Status require_bot(store::ReadTx& tx, std::string_view bot_id) {
  PARLEY_ASSIGN_OR_RETURN(const auto bot, tx.bot(bot_id));
  if (!bot) return make_error(ErrorCode::not_found, "no such bot");
  return {};
}

}  // namespace

Result<NewCase> new_case_from_json(const store::Json& body) {
  if (!body.is_object()) return make_error(ErrorCode::invalid_request, "the body must be a JSON object");
  NewCase wanted;
  const auto question = body.find("question");
  if (question == body.end() || !question->is_string()) {
    return make_error(ErrorCode::invalid_request, "`question` must be a string");
  }
  wanted.question = question->get<std::string>();
  PARLEY_ASSIGN_OR_RETURN(wanted.expect_source, optional_string(body, "expect_source"));
  PARLEY_ASSIGN_OR_RETURN(wanted.expect_text, optional_string(body, "expect_text"));
  if (const auto decline = body.find("expect_decline"); decline != body.end() && !decline->is_null()) {
    if (!decline->is_boolean()) return make_error(ErrorCode::invalid_request, "`expect_decline` must be true or false");
    wanted.expect_decline = decline->get<bool>();
  }
  return wanted;
}

Result<store::EvalCase> add_case(store::WriteTx& tx, std::string_view bot_id, const NewCase& wanted) {
  PARLEY_TRY(check_text(wanted.question, "the question", kMaxQuestionChars));
  if (wanted.expect_source.empty() && wanted.expect_text.empty() && !wanted.expect_decline) {
    return make_error(ErrorCode::invalid_request,
                      "a test case needs an expectation: an expected source, an expected text, or a decline");
  }
  if (!wanted.expect_source.empty()) PARLEY_TRY(check_text(wanted.expect_source, "the expected source", kMaxExpectationChars));
  if (!wanted.expect_text.empty()) PARLEY_TRY(check_text(wanted.expect_text, "the expected text", kMaxExpectationChars));
  PARLEY_TRY(require_bot(tx, bot_id));
  store::EvalCase eval_case;
  eval_case.bot_id = std::string(bot_id);
  eval_case.question = wanted.question;
  eval_case.expect_source = wanted.expect_source;
  eval_case.expect_text = wanted.expect_text;
  eval_case.expect_decline = wanted.expect_decline;
  return tx.create_eval_case(eval_case);
}

Result<store::EvalCase> remove_case(store::WriteTx& tx, std::string_view bot_id, std::string_view case_id) {
  PARLEY_ASSIGN_OR_RETURN(const auto cases, list_cases(tx, bot_id));
  for (const auto& eval_case : cases) {
    if (eval_case.id != case_id) continue;
    PARLEY_TRY(tx.delete_eval_case(bot_id, case_id));
    return eval_case;
  }
  return make_error(ErrorCode::not_found, "no test case " + std::string(case_id) + " for this bot");
}

Result<std::vector<store::EvalCase>> list_cases(store::ReadTx& tx, std::string_view bot_id) {
  PARLEY_TRY(require_bot(tx, bot_id));
  return tx.eval_cases(bot_id);
}

std::vector<std::string> judge(const store::EvalCase& eval_case, const chat::ComposedAnswer& answer) {
  std::vector<std::string> failures;
  const bool declined = answer.mode == "fallback";
  if (eval_case.expect_decline && !declined) failures.push_back("expected a decline, got a " + answer.mode + " answer");
  if (!eval_case.expect_text.empty() && !contains_folded(answer.text, text::fold(eval_case.expect_text))) {
    failures.push_back("the answer does not contain \"" + eval_case.expect_text + "\"");
  }
  if (!eval_case.expect_source.empty()) {
    const std::string wanted = text::fold(eval_case.expect_source);
    bool cited = false;
    for (const auto& source : answer.sources) {
      cited = cited || contains_folded(source.title, wanted) || contains_folded(source.url, wanted);
    }
    if (!cited) failures.push_back("no cited source matches \"" + eval_case.expect_source + "\"");
  }
  return failures;
}

Result<SuiteRun> run_suite(store::Store& store, const chat::ChatService& chat, const store::Scope& scope,
                           std::string_view bot_id) {
  const std::int64_t started = monotonic_micros();
  SuiteRun run;
  run.bot_id = std::string(bot_id);
  std::vector<store::EvalCase> cases;
  PARLEY_TRY(store.read(scope, [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(cases, list_cases(tx, bot_id));
    return {};
  }));
  for (auto& eval_case : cases) {
    CaseRun case_run;
    case_run.result.run_at = unix_millis();
    auto answer = chat.answer(scope, bot_id, eval_case.question);
    if (answer.ok()) {
      case_run.failures = judge(eval_case, *answer);
      case_run.result.answer = answer->text;
      case_run.result.mode = answer->mode;
      for (const auto& citation : answer->sources) {
        case_run.result.sources.push_back({citation.chunk_id, citation.title, citation.url, citation.snippet, citation.score});
      }
    } else {
      // The bot cannot answer it at all now (e.g. its message limit shrank below the question): a failure to see.
      if (answer.error().code == ErrorCode::not_found) return answer.error();  // the bot went away mid-run
      case_run.failures.push_back("the bot gave no answer: " + answer.error().message);
    }
    case_run.result.passed = case_run.failures.empty();
    ++(case_run.result.passed ? run.passed : run.failed);
    case_run.eval_case = std::move(eval_case);
    run.cases.push_back(std::move(case_run));
  }
  PARLEY_TRY(store.write(scope, [&](store::WriteTx& tx) -> Status {
    for (const auto& case_run : run.cases) {
      auto recorded = tx.record_eval_result(bot_id, case_run.eval_case.id, case_run.result);
      // A case removed while the suite ran has nowhere to keep its result; the others still do.
      if (!recorded.ok() && recorded.error().code != ErrorCode::not_found) return recorded;
    }
    return {};
  }));
  run.elapsed_ms = (monotonic_micros() - started) / 1000;
  return run;
}

store::Json case_json(const store::EvalCase& eval_case) {
  return {{"id", eval_case.id},
          {"bot_id", eval_case.bot_id},
          {"question", eval_case.question},
          {"expectations", expectations_json(eval_case)},
          {"created_at", format_rfc3339(eval_case.created_at)},
          {"last", eval_case.last ? result_json(*eval_case.last) : store::Json(nullptr)}};
}

store::Json run_json(const SuiteRun& run) {
  store::Json cases = store::Json::array();
  for (const auto& case_run : run.cases) {
    cases.push_back({{"id", case_run.eval_case.id},
                     {"question", case_run.eval_case.question},
                     {"expectations", expectations_json(case_run.eval_case)},
                     {"passed", case_run.result.passed},
                     {"answer", case_run.result.answer},
                     {"mode", case_run.result.mode},
                     {"sources", sources_json(case_run.result.sources)},
                     {"failures", case_run.failures},
                     {"previous", case_run.eval_case.last ? result_json(*case_run.eval_case.last) : store::Json(nullptr)},
                     {"changed", case_run.changed()}});
  }
  return {{"bot_id", run.bot_id},
          {"passed", run.passed},
          {"failed", run.failed},
          {"elapsed_ms", run.elapsed_ms},
          {"cases", cases}};
}

}  // namespace parley::evals
