// Background jobs of a bot: list, one job with its page counts, the pages of a crawl job with their outcomes,
// progress as Server-Sent Events, and pause / resume / cancel.
#include "api/handlers.h"
#include "jobs/jobs.h"

namespace parley::api {
namespace {

Result<store::Job> find_job(store::ReadTx& tx, const http::Request& request) {
  PARLEY_ASSIGN_OR_RETURN(auto job, tx.job(request.params.at("job_id")));
  if (!job || job->bot_id != request.params.at("bot_id")) return make_error(ErrorCode::not_found, "no such job");
  return std::move(*job);
}

}  // namespace

void register_job_routes(http::Router& router, ApiContext& context) {
  router.add("GET", "/api/v1/bots/{bot_id}/jobs", admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
    store::JobFilter filter;
    filter.bot_id = request.params["bot_id"];
    filter.active_only = request.query.contains("active") && request.query["active"] != "0" && request.query["active"] != "false";
    PARLEY_RESPOND_ON_ERROR(filter.limit, int_param(request, "limit", 50, 1, 500));
    Json jobs = Json::array();
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto bot, tx.bot(filter.bot_id));
      if (!bot) return make_error(ErrorCode::not_found, "no such bot");
      PARLEY_ASSIGN_OR_RETURN(auto rows, tx.jobs(filter));
      for (const auto& job : rows) jobs.push_back(job_view(job));
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, {{"jobs", jobs}});
  }));

  router.add("GET", "/api/v1/bots/{bot_id}/jobs/{job_id}", admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
    Json view;
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto job, find_job(tx, request));
      view = job_view(job);
      PARLEY_ASSIGN_OR_RETURN(const auto counts, tx.crawl_page_counts(job.id));
      view["pages"] = counts;
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, view);
  }));

  router.add("GET", "/api/v1/bots/{bot_id}/jobs/{job_id}/pages",
             admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
               store::CrawlPageFilter filter;
               if (const auto it = request.query.find("outcome"); it != request.query.end()) {
                 if (it->second == "pending") {
                   filter.pending_only = true;
                 } else {
                   filter.outcome = it->second;
                 }
               }
               PARLEY_RESPOND_ON_ERROR(filter.limit, int_param(request, "limit", 100, 1, 1000));
               PARLEY_RESPOND_ON_ERROR(filter.offset, int_param(request, "offset", 0, 0, 100'000'000));
               Json pages = Json::array();
               const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
                 PARLEY_ASSIGN_OR_RETURN(const auto job, find_job(tx, request));
                 PARLEY_ASSIGN_OR_RETURN(auto rows, tx.crawl_pages(job.id, filter));
                 for (const auto& page : rows) pages.push_back(crawl_page_view(page));
                 return {};
               });
               if (!status.ok()) return http::error_response(status.error());
               return http::json_response(200, {{"pages", pages}, {"limit", filter.limit}, {"offset", filter.offset}});
             }));

  router.add("GET", "/api/v1/bots/{bot_id}/jobs/{job_id}/events",
             admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
               const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
                 return find_job(tx, request).ok() ? Status{} : Status(make_error(ErrorCode::not_found, "no such job"));
               });
               if (!status.ok()) return http::error_response(status.error());
               http::Response response;
               response.events = context.job_events().subscribe(scope_of(who), request.params["job_id"]);
               return response;
             }));

  router.add("POST", "/api/v1/bots/{bot_id}/jobs/{job_id}/{action}",
             admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
               const auto action = jobs::parse_job_action(request.params["action"]);
               if (!action) return http::error_response(ErrorCode::not_found, "jobs can be paused, resumed or cancelled");
               PARLEY_RESPOND_ON_ERROR(auto job, jobs::control_job(context.store(), scope_of(who), request.params["bot_id"],
                                                                   request.params["job_id"], *action));
               if (*action == jobs::JobAction::resume) context.job_queued();
               const Json view = job_view(job);
               if (auto recorded = record_audit(context, who, {"", "job." + request.params["action"], job.id, nullptr, view});
                   !recorded.ok()) {
                 return http::error_response(recorded.error());
               }
               return http::json_response(200, view);
             }));
}

}  // namespace parley::api
