// The built-in engine (src/engine) as a provider: the text never leaves the machine. Generations run on the
// engine's scheduler thread; deltas and the outcome are delivered from there.
#pragma once

#include <memory>
#include <string>

#include "engine/engine.h"
#include "llm/provider.h"

namespace parley::llm {

class EngineProvider final : public Provider {
 public:
  EngineProvider(std::string name, std::shared_ptr<engine::Engine> engine, std::string model_name)
      : name_(std::move(name)), engine_(std::move(engine)), model_name_(std::move(model_name)) {}

  const std::string& name() const override { return name_; }
  bool is_local() const override { return true; }
  void generate(const GenerationRequest& request, GenerationSink sink,
                std::shared_ptr<const Cancellation> cancellation) override;

  engine::Engine& engine() { return *engine_; }

 private:
  std::string name_;
  std::shared_ptr<engine::Engine> engine_;
  std::string model_name_;
};

}  // namespace parley::llm
