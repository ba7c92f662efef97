#include "llm/registry.h"

namespace parley::llm {

void ProviderRegistry::add(std::shared_ptr<Provider> provider, ProviderInfo info, ResilienceOptions options) {
  auto resilient = std::make_shared<ResilientProvider>(std::move(provider), options);
  const std::string name = info.name;
  providers_[name] = Entry{std::move(resilient), std::move(info)};
}

void ProviderRegistry::add(std::shared_ptr<ResilientProvider> provider, ProviderInfo info) {
  const std::string name = info.name;
  providers_[name] = Entry{std::move(provider), std::move(info)};
}

std::shared_ptr<ResilientProvider> ProviderRegistry::find(const std::string& name) const {
  const auto it = providers_.find(name);
  return it == providers_.end() ? nullptr : it->second.provider;
}

const ProviderInfo* ProviderRegistry::info(const std::string& name) const {
  const auto it = providers_.find(name);
  return it == providers_.end() ? nullptr : &it->second.info;
}

std::vector<ProviderInfo> ProviderRegistry::list() const {
  std::vector<ProviderInfo> out;
  for (const auto& [name, entry] : providers_) out.push_back(entry.info);
  return out;
}

double ProviderRegistry::cost_usd(const std::string& name, const Usage& usage) const {
  const ProviderInfo* provider = info(name);
  if (provider == nullptr) return 0;
  return (static_cast<double>(usage.prompt_tokens) * provider->input_price_per_mtok +
          static_cast<double>(usage.completion_tokens) * provider->output_price_per_mtok) /
         1e6;
}

}  // namespace parley::llm
