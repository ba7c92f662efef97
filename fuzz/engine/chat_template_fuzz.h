// The property the chat-template fuzzer checks, shared with the unit test that replays its corpus
// (tests/engine/jinja_corpus_test.cpp): any template source parses and renders to a prompt or to an error, within
// the limits, and a ChatTemplate built from it always produces a prompt (its own or the fallback).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/chat-template.h"

namespace parley::engine::fuzz {

inline jinja::TemplateLimits tight_template_limits() {
  jinja::TemplateLimits limits;
  limits.max_source_bytes = 64 << 10;
  limits.render.max_output_bytes = 64 << 10;
  limits.render.max_steps = 200'000;
  limits.render.max_loop_iterations = 20'000;
  limits.render.max_bytes_built = 8 << 20;
  return limits;
}

// "" when the property holds, else what went wrong.
inline std::string check_chat_template(std::string_view source) {
  const std::vector<ChatMessage> messages = {
      {"system", "Be brief."},
      {"user", "Hello <b>there</b> \xC3\xA9"},
      {"assistant", "<think>\nhm\n</think>\n\nHi!"},
      {"user", "Opening hours?"},
  };
  ChatRenderOptions options;
  options.now = std::chrono::system_clock::from_time_t(1743681600);
  options.extra_context = nlohmann::json::parse(
      R"({"tools": [{"type": "function", "function": {"name": "lookup", "parameters": {}}}], "enable_thinking": false})");
  ChatTemplateConfig config;
  config.bos_token = "<s>";
  config.eos_token = "</s>";
  config.limits = tight_template_limits();
  const ChatTemplate chat = ChatTemplate::from_source(source, config);
  auto prompt = chat.render(messages, options);
  if (!prompt.ok()) return "render failed: " + prompt.error().message;
  if (!prompt->used_fallback && prompt->text.size() > config.limits.render.max_output_bytes) {
    return "output larger than the limit";
  }
  if (prompt->used_fallback && prompt->warnings.empty()) return "fallback without a warning";
  return {};
}

}  // namespace parley::engine::fuzz
