// The providers this Parley instance can route to, by name: the built-in engine ("local", when a model is
// configured) and the remote providers of parley.toml. Each is wrapped in a ResilientProvider (breaker,
// concurrency limit, retries). Prices are kept for cost accounting and spend caps.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "llm/remote_provider.h"
#include "llm/resilience.h"

namespace parley::llm {

struct ProviderInfo {
  std::string name;
  std::string kind;   // engine | openai | anthropic
  std::string model;  // default model
  bool local = false;
  double input_price_per_mtok = 0;
  double output_price_per_mtok = 0;
};

class ProviderRegistry {
 public:
  void add(std::shared_ptr<Provider> provider, ProviderInfo info, ResilienceOptions options = {});
  // Adds a provider already wrapped (taken over from another registry: a reload keeps a loaded engine and its queue).
  void add(std::shared_ptr<ResilientProvider> provider, ProviderInfo info);
  // The provider called `name`, or nullptr.
  std::shared_ptr<ResilientProvider> find(const std::string& name) const;
  const ProviderInfo* info(const std::string& name) const;
  std::vector<ProviderInfo> list() const;
  bool empty() const { return providers_.empty(); }
  // Cost in US dollars of a generation's usage at the provider's prices.
  double cost_usd(const std::string& name, const Usage& usage) const;

 private:
  struct Entry {
    std::shared_ptr<ResilientProvider> provider;
    ProviderInfo info;
  };
  std::map<std::string, Entry> providers_;
};

}  // namespace parley::llm
