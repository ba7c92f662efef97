// Crawl sources: add one (its first crawl is queued as a job), resync it, change its settings and schedule, and
// read the record of its syncs.
#include "api/handlers.h"
#include "crawl/crawler.h"

namespace parley::api {

void register_crawl_routes(http::Router& router, ApiContext& context) {
  router.add("POST", "/api/v1/bots/{bot_id}/sources/crawl", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    PARLEY_RESPOND_ON_ERROR(const auto config, crawl::crawl_config_from_json(body));
    PARLEY_RESPOND_ON_ERROR(auto queued, crawl::add_crawl_source(context.store(), scope_of(who), request.params["bot_id"], config));
    context.job_queued();
    if (auto recorded = record_audit(context, who, {"", "source.add", queued.source.id, nullptr, source_view(queued.source)});
        !recorded.ok()) {
      return http::error_response(recorded.error());
    }
    if (auto recorded = record_audit(context, who, {"", "job.start", queued.job.id, nullptr, job_view(queued.job)}); !recorded.ok()) {
      return http::error_response(recorded.error());
    }
    return http::json_response(202, {{"source", source_view(queued.source)}, {"job", job_view(queued.job)}});
  }));

  router.add("POST", "/api/v1/bots/{bot_id}/sources/{source_id}/sync",
             admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
               PARLEY_RESPOND_ON_ERROR(auto job, crawl::queue_sync(context.store(), scope_of(who), request.params["bot_id"],
                                                                   request.params["source_id"]));
               context.job_queued();
               if (auto recorded = record_audit(context, who, {"", "job.start", job.id, nullptr, job_view(job)}); !recorded.ok()) {
                 return http::error_response(recorded.error());
               }
               return http::json_response(202, {{"job", job_view(job)}});
             }));

  router.add("PATCH", "/api/v1/bots/{bot_id}/sources/{source_id}",
             admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
               PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
               Json before = nullptr;
               const auto read = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
                 PARLEY_ASSIGN_OR_RETURN(const auto existing, tx.source(request.params["bot_id"], request.params["source_id"]));
                 if (existing) before = source_view(*existing);
                 return {};
               });
               if (!read.ok()) return http::error_response(read.error());
               PARLEY_RESPOND_ON_ERROR(auto source, crawl::update_crawl_source(context.store(), scope_of(who),
                                                                               request.params["bot_id"],
                                                                               request.params["source_id"], body));
               const Json after = source_view(source);
               if (auto recorded = record_audit(context, who, {"", "source.update", source.id, before, after}); !recorded.ok()) {
                 return http::error_response(recorded.error());
               }
               return http::json_response(200, after);
             }));

  router.add("GET", "/api/v1/bots/{bot_id}/sources/{source_id}/syncs",
             admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
               store::JobFilter filter;
               filter.bot_id = request.params["bot_id"];
               filter.source_id = request.params["source_id"];
               PARLEY_RESPOND_ON_ERROR(filter.limit, int_param(request, "limit", 20, 1, 500));
               Json syncs = Json::array();
               const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
                 PARLEY_ASSIGN_OR_RETURN(auto source, tx.source(filter.bot_id, filter.source_id));
                 if (!source) return make_error(ErrorCode::not_found, "no such source");
                 PARLEY_ASSIGN_OR_RETURN(auto jobs, tx.jobs(filter));
                 for (const auto& job : jobs) syncs.push_back(job_view(job));
                 return {};
               });
               if (!status.ok()) return http::error_response(status.error());
               return http::json_response(200, {{"syncs", syncs}});
             }));
}

}  // namespace parley::api
