#include "llm/routing.h"

#include <algorithm>

#include "metrics/metrics.h"

namespace parley::llm {

namespace {

metrics::Family<metrics::Counter>& overload_spills() {
  static auto& spills = metrics::registry().counter(
      "parley_overload_spills_total",
      "Generative turns that left a route over its queue bound: to the next route, or to the extractive answer",
      {"to"});
  return spills;
}

}  // namespace

void register_routing_metrics() { overload_spills(); }
namespace {

using Json = nlohmann::json;

Error field_error(const std::string& field, const std::string& what) {
  return make_error(ErrorCode::invalid_request, "settings.routing." + field + " " + what);
}

template <typename T>
Status read(const Json& object, const char* key, T& out) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return {};
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return field_error(key, "must be a string");
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return field_error(key, "must be true or false");
  } else {
    if (!it->is_number()) return field_error(key, "must be a number");
  }
  out = it->get<T>();
  return {};
}

std::string money(double usd) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "$%.2f", usd);
  return buffer;
}

}  // namespace

nlohmann::json routing_settings(const RoutingPolicy& policy) {
  return {{"mode", routing_mode_name(policy.mode)},
          {"local", policy.local},
          {"remote", policy.remote},
          {"escalate_to", policy.escalate_to},
          {"escalate_below", policy.escalate_below},
          {"spill_after_ms", policy.spill_after.count()},
          {"bot_monthly_budget_usd", policy.bot_monthly_budget_usd},
          {"workspace_monthly_budget_usd", policy.workspace_monthly_budget_usd},
          {"redact_pii", policy.redact_pii},
          {"max_tokens", policy.max_tokens},
          {"temperature", policy.temperature}};
}

std::string_view routing_mode_name(RoutingMode mode) {
  switch (mode) {
    case RoutingMode::off: return "off";
    case RoutingMode::local_only: return "local-only";
    case RoutingMode::remote_only: return "remote-only";
    case RoutingMode::local_first: return "local-first";
  }
  return "off";
}

Result<RoutingPolicy> routing_policy_from_settings(const Json& settings) {
  RoutingPolicy policy;
  if (!settings.is_object()) return policy;
  if (settings.contains("persona") && settings["persona"].is_string()) policy.persona = settings["persona"];
  if (settings.contains("instructions") && settings["instructions"].is_string()) policy.instructions = settings["instructions"];
  const auto it = settings.find("routing");
  if (it == settings.end() || it->is_null()) return policy;
  if (!it->is_object()) return make_error(ErrorCode::invalid_request, "settings.routing must be an object");
  const Json& routing = *it;
  std::string mode = "off";
  PARLEY_TRY(read(routing, "mode", mode));
  bool known = false;
  for (auto candidate : {RoutingMode::off, RoutingMode::local_only, RoutingMode::remote_only, RoutingMode::local_first}) {
    if (routing_mode_name(candidate) == mode) {
      policy.mode = candidate;
      known = true;
    }
  }
  if (!known) return field_error("mode", "must be off, local-only, remote-only or local-first");
  PARLEY_TRY(read(routing, "local", policy.local));
  PARLEY_TRY(read(routing, "remote", policy.remote));
  PARLEY_TRY(read(routing, "escalate_to", policy.escalate_to));
  PARLEY_TRY(read(routing, "escalate_below", policy.escalate_below));
  double spill_ms = static_cast<double>(policy.spill_after.count());
  PARLEY_TRY(read(routing, "spill_after_ms", spill_ms));
  policy.spill_after = std::chrono::milliseconds(static_cast<long long>(std::max(0.0, spill_ms)));
  PARLEY_TRY(read(routing, "bot_monthly_budget_usd", policy.bot_monthly_budget_usd));
  PARLEY_TRY(read(routing, "workspace_monthly_budget_usd", policy.workspace_monthly_budget_usd));
  PARLEY_TRY(read(routing, "redact_pii", policy.redact_pii));
  double max_tokens = policy.max_tokens;
  PARLEY_TRY(read(routing, "max_tokens", max_tokens));
  if (max_tokens < 1 || max_tokens > 4096) return field_error("max_tokens", "must be between 1 and 4096");
  policy.max_tokens = static_cast<int>(max_tokens);
  PARLEY_TRY(read(routing, "temperature", policy.temperature));
  if (policy.temperature < 0 || policy.temperature > 2) return field_error("temperature", "must be between 0 and 2");
  if ((policy.mode == RoutingMode::remote_only) && policy.remote.empty() && policy.escalate_to.empty()) {
    return field_error("remote", "must name a provider for remote-only routing");
  }
  return policy;
}

Json RoutePlan::to_json() const {
  Json steps_json = Json::array();
  for (const auto& step : steps) steps_json.push_back({{"provider", step.provider}, {"reason", step.reason}});
  return {{"steps", steps_json}, {"notes", notes}};
}

RoutePlan plan_routes(const RoutingPolicy& policy, const ProviderRegistry& registry, const RoutingContext& context) {
  RoutePlan plan;
  if (policy.mode == RoutingMode::off) {
    plan.notes.push_back("routing is off: extractive answers");
    return plan;
  }
  const bool over_bot_cap = policy.bot_monthly_budget_usd > 0 && context.bot_spend_usd >= policy.bot_monthly_budget_usd;
  const bool over_workspace_cap =
      policy.workspace_monthly_budget_usd > 0 && context.workspace_spend_usd >= policy.workspace_monthly_budget_usd;

  // Routes left out because their queue wait exceeds the bot's bound: the overload ladder's first rungs.
  int over_bound = 0;
  // Adds a provider to the plan unless something rules it out; records why either way.
  const auto consider = [&](const std::string& name, const std::string& reason) {
    if (name.empty()) return;
    if (std::any_of(plan.steps.begin(), plan.steps.end(), [&](const RouteStep& s) { return s.provider == name; })) return;
    const auto provider = registry.find(name);
    const ProviderInfo* info = registry.info(name);
    if (!provider || info == nullptr) {
      plan.notes.push_back(name + ": not configured");
      return;
    }
    if (!info->local && (over_bot_cap || over_workspace_cap)) {
      plan.notes.push_back(name + ": skipped, the monthly budget is spent (" +
                           (over_bot_cap ? "bot " + money(context.bot_spend_usd) + " of " + money(policy.bot_monthly_budget_usd)
                                         : "workspace " + money(context.workspace_spend_usd) + " of " +
                                               money(policy.workspace_monthly_budget_usd)) +
                           ")");
      return;
    }
    if (provider->breaker_state() == CircuitBreaker::State::open) {
      plan.notes.push_back(name + ": skipped, failing recently (circuit open)");
      return;
    }
    if (const auto wait = provider->expected_wait(); wait > policy.spill_after) {
      plan.notes.push_back(name + ": skipped, its queue wait would be ~" + std::to_string(wait.count()) + " ms > " +
                           std::to_string(policy.spill_after.count()) + " ms (overloaded)");
      ++over_bound;
      return;
    }
    plan.steps.push_back({name, reason});
  };

  const bool escalate = !policy.escalate_to.empty() && context.retrieval_confidence < policy.escalate_below;
  const std::string escalation_reason = "escalated: retrieval confidence " + std::to_string(context.retrieval_confidence).substr(0, 4) +
                                        " < " + std::to_string(policy.escalate_below).substr(0, 4);
  switch (policy.mode) {
    case RoutingMode::local_only:
      consider(policy.local, "local-only policy");
      break;
    case RoutingMode::remote_only:
      if (escalate) consider(policy.escalate_to, escalation_reason);
      consider(policy.remote, plan.steps.empty() ? "remote-only policy" : "fallback after the escalation");
      break;
    case RoutingMode::local_first: {
      if (escalate) consider(policy.escalate_to, escalation_reason);
      const int before = over_bound;
      consider(policy.local, plan.steps.empty() ? "local-first policy" : "fallback after the escalation");
      consider(policy.remote, over_bound > before ? "spilled: the local queue is past the bot's bound"
                                                  : "fallback when the local model fails");
      break;
    }
    case RoutingMode::off:
      break;
  }
  if (plan.steps.empty()) plan.notes.push_back("no provider available: extractive answer");
  if (over_bound > 0) {
    overload_spills().labels({plan.steps.empty() ? "extractive" : "next_route"}).add();
  }
  return plan;
}

}  // namespace parley::llm
