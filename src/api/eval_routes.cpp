// A bot's test suite: list, add and remove cases (audited like other bot edits), run the suite.
#include "api/handlers.h"
#include "evals/evals.h"

namespace parley::api {

void register_eval_routes(http::Router& router, ApiContext& context) {
  router.add("GET", "/api/v1/bots/{bot_id}/tests", admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
    Json cases = Json::array();
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto rows, evals::list_cases(tx, request.params["bot_id"]));
      for (const auto& eval_case : rows) cases.push_back(evals::case_json(eval_case));
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, {{"cases", cases}});
  }));

  router.add("POST", "/api/v1/bots/{bot_id}/tests", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    PARLEY_RESPOND_ON_ERROR(const evals::NewCase wanted, evals::new_case_from_json(body));
    Json view;
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto created, evals::add_case(tx, request.params["bot_id"], wanted));
      view = evals::case_json(created);
      return audit::record(tx, who.workspace_id, {actor_of(who), "bot.test.create", created.id, nullptr, view});
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(201, view);
  }));

  router.add("DELETE", "/api/v1/bots/{bot_id}/tests/{case_id}", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto removed, evals::remove_case(tx, request.params["bot_id"], request.params["case_id"]));
      return audit::record(tx, who.workspace_id, {actor_of(who), "bot.test.delete", removed.id,
                                                  evals::case_json(removed), nullptr});
    });
    if (!status.ok()) return http::error_response(status.error());
    http::Response response;
    response.status = 204;
    return response;
  }));

  router.add("POST", "/api/v1/bots/{bot_id}/tests/run", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const auto run, evals::run_suite(context.store(), context.chat(), scope_of(who), request.params["bot_id"]));
    return http::json_response(200, evals::run_json(run));
  }));
}

}  // namespace parley::api
