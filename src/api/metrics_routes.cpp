// GET /metrics: the Prometheus text format (metrics/metrics.h) for the instance. Answered to loopback clients (the
// address behind trusted proxies, so a proxied outside request is not loopback), to admin and owner API keys or
// sessions, and to `Authorization: Bearer <[metrics] token>`; 403 to anyone else. Besides the registry's series it
// reads a few instance-wide figures from the store at scrape time: jobs by state and the outbox's backlog.
#include <boost/asio/ip/address.hpp>

#include "api/handlers.h"
#include "auth/api_keys.h"
#include "common/clock.h"
#include "common/ids.h"
#include "metrics/metrics.h"

namespace parley::api {
namespace {

bool is_loopback(const std::string& address) {
  boost::system::error_code error;
  auto parsed = boost::asio::ip::make_address(address, error);
  if (error) return false;
  if (parsed.is_v6() && parsed.to_v6().is_v4_mapped()) {
    parsed = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, parsed.to_v6());
  }
  return parsed.is_loopback();
}

// Whether the request may read the metrics; the refusal otherwise.
std::optional<http::Response> refuse_metrics(ApiContext& context, const http::Request& request) {
  if (is_loopback(request.remote_address)) return std::nullopt;
  const std::string_view bearer = auth::bearer_token(request.header("Authorization"));
  const std::string& token = context.options().metrics_token;
  if (!token.empty() && !bearer.empty() && constant_time_equal(bearer, token)) return std::nullopt;
  std::string_view key = bearer;
  if (key.empty()) key = request.header("X-API-Key");
  if (!key.empty()) {
    const auto principal = auth::authenticate_api_key(context.store(), key);
    if (principal.ok() && (principal->role == store::Role::owner || principal->role == store::Role::admin)) {
      return std::nullopt;
    }
  }
  return http::error_response(ErrorCode::forbidden,
                              "metrics are served to loopback clients, admin API keys and the [metrics] token");
}

// Jobs by state and the outbox's backlog, read now.
void write_store_figures(ApiContext& context, metrics::Writer& writer) {
  std::map<std::string, std::int64_t> jobs;
  std::vector<store::OutboxBacklog> backlog;
  const Status read = context.store().read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(jobs, tx.job_state_counts());
    PARLEY_ASSIGN_OR_RETURN(backlog, tx.outbox_backlog());
    return {};
  });
  const std::vector<std::string> no_labels;
  writer.header("parley_store_up", "1 when the store answered this scrape's read", metrics::Type::gauge);
  writer.sample("parley_store_up", no_labels, no_labels, read.ok() ? 1 : 0);
  if (!read.ok()) return;
  const std::vector<std::string> state_label = {"state"};
  writer.header("parley_jobs", "Jobs of the instance by state", metrics::Type::gauge);
  for (const char* state : {"queued", "running", "paused", "succeeded", "failed", "cancelled"}) {
    const auto it = jobs.find(state);
    writer.sample("parley_jobs", state_label, std::vector<std::string>{state}, it == jobs.end() ? 0 : it->second);
  }
  const std::vector<std::string> channel_label = {"channel"};
  const std::int64_t now = unix_millis();
  writer.header("parley_outbox_pending", "Webhook and email deliveries waiting to be sent", metrics::Type::gauge);
  for (const char* channel : {"webhook", "email"}) {
    const auto it = std::find_if(backlog.begin(), backlog.end(), [&](const auto& b) { return b.channel == channel; });
    writer.sample("parley_outbox_pending", channel_label, std::vector<std::string>{channel},
                  it == backlog.end() ? 0 : static_cast<double>(it->pending));
  }
  writer.header("parley_outbox_oldest_age_seconds", "Age of the oldest delivery still waiting (0 when none)",
                metrics::Type::gauge);
  for (const char* channel : {"webhook", "email"}) {
    const auto it = std::find_if(backlog.begin(), backlog.end(), [&](const auto& b) { return b.channel == channel; });
    const double age = it == backlog.end() || it->pending == 0
                           ? 0
                           : static_cast<double>(std::max<std::int64_t>(0, now - it->oldest_created_at)) / 1000.0;
    writer.sample("parley_outbox_oldest_age_seconds", channel_label, std::vector<std::string>{channel}, age);
  }
}

}  // namespace

void register_metrics_routes(http::Router& router, ApiContext& context) {
  // Declared public for the role table (docs/SECURITY.md): the handler does its own check, since Prometheus
  // scrapes with a bearer token or from loopback, not as a member of a workspace.
  router.add("GET", "/metrics", anyone([&context](http::Request& request) {
    if (auto refusal = refuse_metrics(context, request)) return std::move(*refusal);
    std::string body = metrics::registry().render();
    metrics::Writer writer(body);
    write_store_figures(context, writer);
    http::Response response = http::text_response(200, std::move(body), std::string(metrics::kContentType));
    response.headers["Cache-Control"] = "no-store";
    return response;
  }));
  router.exempt_from_shedding("GET", "/metrics");  // an overloaded server is when its figures matter most
}

}  // namespace parley::api
