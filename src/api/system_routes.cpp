// Health, readiness, the demo page, and / (to the admin app).
#include "api/handlers.h"
#include "demo/demo.h"

namespace parley::api {

void register_system_routes(http::Router& router, ApiContext& context) {
  router.add("GET", "/healthz", anyone([](http::Request&) { return http::json_response(200, {{"status", "ok"}}); }));
  router.add("GET", "/readyz", anyone([&context](http::Request&) {
    // Ready when the store answers a read.
    const auto status = context.store().read(store::Scope::system(), [](store::ReadTx& tx) -> Status {
      PARLEY_TRY(tx.workspaces());
      return {};
    });
    if (!status.ok()) return http::error_response(ErrorCode::unavailable, "the store is not available");
    // Ready to answer; what works in a lesser way (an embedding model that cannot be used) is a warning. Anyone may
    // call this, so it names no file, bot or error text: a bot's report (members only) says why.
    Json body{{"status", "ready"}, {"store_schema", context.store().schema_version()}};
    Json warnings = Json::array();
    const auto& embedding = context.options().embedding;
    if (embedding.configured()) {
      Json semantic{{"status", embedding.loaded ? "ready" : "unavailable"}};
      if (embedding.model) semantic["model"] = embedding.model->name;
      if (embedding.loaded) semantic["dimensions"] = embedding.dimensions;
      if (!embedding.error.empty()) {
        warnings.push_back("the embedding model is not in use: answers use lexical retrieval only (a bot's report says why)");
      }
      if (const auto& index = context.options().semantic) {
        if (const std::size_t failed = index->errors().size(); failed > 0) {
          semantic["bots_with_errors"] = failed;
          warnings.push_back(failed == 1 ? "1 bot cannot use its stored vectors: its answers use lexical retrieval "
                                           "only (its report says why)"
                                         : std::to_string(failed) + " bots cannot use their stored vectors: their "
                                           "answers use lexical retrieval only (their reports say why)");
        }
      }
      body["semantic"] = semantic;
    }
    body["warnings"] = warnings;
    return http::json_response(200, body);
  }));
  // Load balancers must see a server that is shedding load as alive and ready.
  router.exempt_from_shedding("GET", "/healthz");
  router.exempt_from_shedding("GET", "/readyz");
  router.add("GET", "/demo", anyone([&context](http::Request&) {
    if (context.options().demo_bot_id.empty()) {
      return http::error_response(ErrorCode::not_found, "no demo bot is configured (run `parley init --demo`)");
    }
    http::Response response = http::text_response(200, demo::demo_page(context.options().demo_bot_id), "text/html; charset=utf-8");
    // The page is the shop's own: its styles inline, the widget's one script tag, the widget's calls to this server.
    response.headers["Content-Security-Policy"] =
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
    response.headers["Referrer-Policy"] = "no-referrer";
    return response;
  }));
  router.add("GET", "/", anyone([](http::Request&) {
    http::Response response;
    response.status = 302;
    response.headers["Location"] = "/admin";
    return response;
  }));
}

}  // namespace parley::api
