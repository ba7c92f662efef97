// A provider registry holding the built-in engine with a real (tiny, random-weight) model from ../shared/models,
// named "local": for tests of generative turns that need a model but not its quality.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/engine.h"
#include "llm/engine_provider.h"
#include "llm/registry.h"

namespace parley::testing {

inline std::shared_ptr<llm::ProviderRegistry> engine_registry() {
  engine::EngineOptions options;
  options.threads = 2;
  options.context_size = 1024;
  auto engine = engine::Engine::load(std::string(PARLEY_SHARED_DIR) + "/models/tiny-qwen2-q8_0.gguf", options);
  EXPECT_TRUE(engine.ok()) << engine.error().message;
  auto registry = std::make_shared<llm::ProviderRegistry>();
  registry->add(std::make_shared<llm::EngineProvider>("local", std::shared_ptr<engine::Engine>(std::move(*engine)),
                                                      "tiny-qwen2"),
                {"local", "engine", "tiny-qwen2", true, 0, 0});
  return registry;
}

}  // namespace parley::testing
