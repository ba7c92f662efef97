#include "llm/routing.h"

#include <gtest/gtest.h>

namespace parley::llm {
namespace {

// The bot builder writes what routing_settings gives; it must read back as the same policy.
TEST(RoutingSettings, ReadBackAsTheSamePolicy) {
  RoutingPolicy policy;
  policy.mode = RoutingMode::local_first;
  policy.local = "local";
  policy.remote = "openai";
  policy.escalate_to = "claude";
  policy.escalate_below = 0.3;
  policy.spill_after = std::chrono::milliseconds(1500);
  policy.bot_monthly_budget_usd = 20;
  policy.workspace_monthly_budget_usd = 100;
  policy.redact_pii = true;
  policy.max_tokens = 250;
  policy.temperature = 0.7;
  for (const RoutingPolicy& original : {policy, RoutingPolicy{}}) {
    const auto read = routing_policy_from_settings({{"routing", routing_settings(original)}});
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_EQ(read->mode, original.mode);
    EXPECT_EQ(read->local, original.local);
    EXPECT_EQ(read->remote, original.remote);
    EXPECT_EQ(read->escalate_to, original.escalate_to);
    EXPECT_DOUBLE_EQ(read->escalate_below, original.escalate_below);
    EXPECT_EQ(read->spill_after, original.spill_after);
    EXPECT_DOUBLE_EQ(read->bot_monthly_budget_usd, original.bot_monthly_budget_usd);
    EXPECT_DOUBLE_EQ(read->workspace_monthly_budget_usd, original.workspace_monthly_budget_usd);
    EXPECT_EQ(read->redact_pii, original.redact_pii);
    EXPECT_EQ(read->max_tokens, original.max_tokens);
    EXPECT_DOUBLE_EQ(read->temperature, original.temperature);
  }
}

}  // namespace
}  // namespace parley::llm
