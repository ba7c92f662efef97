// Health, readiness, and the demo page.
#include "api/handlers.h"
#include "demo/demo.h"

namespace parley::api {

void register_system_routes(http::Router& router, ApiContext& context) {
  router.add("GET", "/healthz", [](http::Request&) { return http::json_response(200, {{"status", "ok"}}); });
  router.add("GET", "/readyz", [&context](http::Request&) {
    // Ready when the store answers a read.
    const auto status = context.store().read(store::Scope::system(), [](store::ReadTx& tx) -> Status {
      PARLEY_TRY(tx.workspaces());
      return {};
    });
    if (!status.ok()) return http::error_response(ErrorCode::unavailable, "the store is not available");
    return http::json_response(200, {{"status", "ready"}, {"store_schema", context.store().schema_version()}});
  });
  router.add("GET", "/demo", [&context](http::Request&) {
    if (context.options().demo_bot_id.empty()) {
      return http::error_response(ErrorCode::not_found, "no demo bot is configured (run `parley init --demo`)");
    }
    http::Response response = http::text_response(200, demo::demo_page(context.options().demo_bot_id), "text/html; charset=utf-8");
    response.headers["Content-Security-Policy"] =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
    response.headers["Referrer-Policy"] = "no-referrer";
    return response;
  });
  router.add("GET", "/", [&context](http::Request&) {
    if (!context.options().demo_bot_id.empty()) {
      http::Response response;
      response.status = 302;
      response.headers["Location"] = "/demo";
      return response;
    }
    return http::json_response(200, {{"name", "Parley"}, {"api", "/api/v1"}, {"health", "/healthz"}});
  });
}

}  // namespace parley::api
