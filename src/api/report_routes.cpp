// The data-quality report of a bot's knowledge (ingest/report.h), with how far its vectors are (semantic/status.h).
#include "api/handlers.h"
#include "ingest/report.h"

namespace parley::api {

void register_report_routes(http::Router& router, ApiContext& context) {
  router.add("GET", "/api/v1/bots/{bot_id}/report", admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
    ingest::ReportOptions options;
    PARLEY_RESPOND_ON_ERROR(options.stale_days, int_param(request, "stale_days", options.stale_days, 1, 36'500));
    PARLEY_RESPOND_ON_ERROR(options.thin_words, int_param(request, "thin_words", options.thin_words, 0, 100'000));
    const auto& bot_id = request.params["bot_id"];
    PARLEY_RESPOND_ON_ERROR(auto report, ingest::build_report(context.store(), scope_of(who), bot_id, options));
    const Status semantic = semantic::add_to_report(context.store(), scope_of(who), bot_id, context.options().embedding,
                                                    context.options().semantic.get(), report);
    if (!semantic.ok()) return http::error_response(semantic.error());
    return http::json_response(200, report);
  }));
}

}  // namespace parley::api
