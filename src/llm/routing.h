// Routing: which providers to try, in which order, for one answer — decided from the bot's policy, the state of
// the providers (breakers, queue waits), the retrieval's confidence and the month's spend. Every decision carries
// its reason, and the reasons are recorded with the answer.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "llm/registry.h"

namespace parley::llm {

enum class RoutingMode { off, local_only, remote_only, local_first };

struct RoutingPolicy {
  RoutingMode mode = RoutingMode::off;  // off: no model, extractive answers (the default)
  std::string local = "local";           // the built-in engine's provider name
  std::string remote;                    // the remote provider to use or fall back to
  std::string escalate_to;               // a stronger provider for questions retrieval is unsure about
  double escalate_below = 0;             // retrieval confidence under which to escalate
  std::chrono::milliseconds spill_after{3000};  // go remote when the local queue wait would exceed this
  double bot_monthly_budget_usd = 0;       // 0: no cap
  double workspace_monthly_budget_usd = 0; // 0: no cap
  bool redact_pii = false;                 // redact personal data from text sent to non-local providers
  int max_tokens = 400;
  double temperature = 0.2;
  std::string persona;
  std::string instructions;
};

// The policy in a bot's settings (settings.routing, plus persona and instructions); errors name the bad field.
Result<RoutingPolicy> routing_policy_from_settings(const nlohmann::json& settings);
// The inverse for settings.routing: the object that reads back as `policy` (persona and instructions live outside
// it). The bot builder shows RoutingPolicy{} through it as the server's defaults.
nlohmann::json routing_settings(const RoutingPolicy& policy);
std::string_view routing_mode_name(RoutingMode mode);

struct RoutingContext {
  double retrieval_confidence = 0;
  double bot_spend_usd = 0;        // this month
  double workspace_spend_usd = 0;  // this month
};

struct RouteStep {
  std::string provider;
  std::string reason;
};

struct RoutePlan {
  std::vector<RouteStep> steps;     // try in order
  std::vector<std::string> notes;   // providers left out, and why
  nlohmann::json to_json() const;
};

RoutePlan plan_routes(const RoutingPolicy& policy, const ProviderRegistry& registry, const RoutingContext& context);

// Registers the routing's metric families (parley_overload_spills_total), so that /metrics serves them, at zero,
// before the first spill: dashboards and alerts see a series, not "no data".
void register_routing_metrics();

}  // namespace parley::llm
