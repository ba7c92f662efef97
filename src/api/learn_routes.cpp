// Learning from misses and curated Q&A (learn/): a bot's suggestions and their answers, and its curated pairs
// (list, add, edit, delete), audited like other bot edits.
#include <algorithm>

#include "api/handlers.h"
#include "learn/suggestions.h"

namespace parley::api {
namespace {

http::Response no_content() {
  http::Response response;
  response.status = 204;
  return response;
}

}  // namespace

void register_learn_routes(http::Router& router, ApiContext& context) {
  router.add("GET", "/api/v1/bots/{bot_id}/suggestions", admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
    Json suggestions = Json::array();
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto open, learn::list_suggestions(tx, request.params["bot_id"]));
      for (const auto& suggestion : open) suggestions.push_back(learn::suggestion_json(suggestion));
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, {{"suggestions", suggestions}});
  }));

  router.add("POST", "/api/v1/bots/{bot_id}/suggestions/{suggestion_id}/answer", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    PARLEY_RESPOND_ON_ERROR(const auto wanted, learn::curated_answer_from_json(body));
    // Refused before the transaction, with the field it is about; the question may be left to the suggestion.
    const auto refused = wanted.pair.question.empty() ? learn::check_answer(wanted.pair.answer) : learn::check_pair(wanted.pair);
    if (refused) return field_error(refused->field, refused->error);
    Json view;
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto answered, learn::answer_suggestion(tx, request.params["bot_id"],
                                                                            request.params["suggestion_id"], wanted));
      view = learn::answered_json(answered);
      return audit::record(tx, who.workspace_id, {actor_of(who), "bot.suggestion.answer", answered.pair.id, nullptr, view});
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(201, view);
  }));

  router.add("GET", "/api/v1/bots/{bot_id}/qa", admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
    Json pairs = Json::array();
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto rows, learn::list_pairs(tx, request.params["bot_id"]));
      for (const auto& pair : rows) pairs.push_back(learn::pair_json(pair));
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, {{"pairs", pairs}});
  }));

  router.add("POST", "/api/v1/bots/{bot_id}/qa", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    PARLEY_RESPOND_ON_ERROR(const auto wanted, learn::curated_answer_from_json(body));
    if (const auto refused = learn::check_pair(wanted.pair)) return field_error(refused->field, refused->error);
    Json view;
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto answered, learn::add_curated_answer(tx, request.params["bot_id"], wanted));
      view = learn::answered_json(answered);
      return audit::record(tx, who.workspace_id, {actor_of(who), "bot.qa.create", answered.pair.id, nullptr, view});
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(201, view);
  }));

  router.add("PATCH", "/api/v1/bots/{bot_id}/qa/{pair_id}", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    PARLEY_RESPOND_ON_ERROR(const auto given, learn::pair_from_json(body));
    if (!body.contains("question") && !body.contains("answer")) {
      return http::error_response(ErrorCode::invalid_request, "give `question`, `answer` or both");
    }
    Json view;
    std::optional<learn::FieldRefusal> refused;
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto pairs, learn::list_pairs(tx, request.params["bot_id"]));
      const auto before = std::find_if(pairs.begin(), pairs.end(), [&](const learn::CuratedPair& pair) {
        return pair.id == request.params["pair_id"];
      });
      if (before == pairs.end()) return make_error(ErrorCode::not_found, "no such Q&A pair for this bot");
      // A field left out keeps its text.
      const learn::PairText wanted{body.contains("question") ? given.question : before->question,
                                   body.contains("answer") ? given.answer : before->answer};
      if ((refused = learn::check_pair(wanted))) return refused->error;
      PARLEY_ASSIGN_OR_RETURN(const auto after, learn::update_pair(tx, request.params["bot_id"], before->id, wanted));
      view = learn::pair_json(after);
      return audit::record(tx, who.workspace_id, {actor_of(who), "bot.qa.update", after.id, learn::pair_json(*before), view});
    });
    if (refused) return field_error(refused->field, refused->error);
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, view);
  }));

  router.add("DELETE", "/api/v1/bots/{bot_id}/qa/{pair_id}", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto removed, learn::remove_pair(tx, request.params["bot_id"], request.params["pair_id"]));
      return audit::record(tx, who.workspace_id, {actor_of(who), "bot.qa.delete", removed.id, learn::pair_json(removed), nullptr});
    });
    if (!status.ok()) return http::error_response(status.error());
    return no_content();
  }));
}

}  // namespace parley::api
