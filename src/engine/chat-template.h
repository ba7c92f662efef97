// Chat templates: turn a conversation into the prompt text a model was trained on. Driven by the model's own
// `tokenizer.chat_template` (Jinja, run by engine/jinja), with a built-in format per known family as the fallback
// when a template is missing, does not parse, or refuses the conversation (e.g. Gemma rejects a system message).
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "engine/jinja/template.h"

namespace parley::engine {

// The prompt formats Parley knows without running a template.
enum class ChatFamily { unknown, chatml, llama2, llama3, mistral, gemma, phi3, granite, deepseek_r1 };

std::string_view chat_family_name(ChatFamily family);

// The family whose markers a template's source contains (`<|im_start|>` is ChatML, `<|start_header_id|>` Llama 3, ...);
// unknown when none match.
ChatFamily recognize_chat_family(std::string_view template_source);

struct ChatMessage {
  std::string role;  // "system", "user", "assistant" (templates may accept others, e.g. "tool")
  std::string content;
};

struct ChatRenderOptions {
  bool add_generation_prompt = true;
  // Passed to the template only when set (Qwen3, SmolLM3 and DeepSeek-R1 read it).
  std::optional<bool> enable_thinking;
  // The time strftime_now() formats (UTC); the current time when not set.
  std::optional<std::chrono::system_clock::time_point> now;
  // More template variables (tools, documents, ...): the members of a JSON object; they override the defaults.
  nlohmann::json extra_context = nlohmann::json::object();
};

struct RenderedPrompt {
  std::string text;
  // The template's family; when used_fallback, the family whose built-in format produced `text` (ChatML for an
  // unrecognised template).
  ChatFamily family = ChatFamily::unknown;
  bool used_fallback = false;
  std::vector<std::string> warnings;  // why the fallback was used
};

struct ChatTemplateConfig {
  std::string bos_token;  // the texts of the model's special tokens, given to the template
  std::string eos_token;
  // Remove a leading bos_token from the output, for models whose tokenizer adds BOS itself (avoids a double BOS).
  bool strip_leading_bos = false;
  jinja::TemplateLimits limits;
};

class ChatTemplate {
 public:
  // Never fails: a template that does not parse is remembered, and render() falls back with a warning.
  // An empty source means the model has no template: the built-in ChatML format is used without a warning.
  static ChatTemplate from_source(std::string_view source, ChatTemplateConfig config);
  // The built-in format of `family` (ChatML for unknown), as for a model without a template.
  static ChatTemplate builtin(ChatFamily family, ChatTemplateConfig config);

  // Errors: invalid_utf8 when a message is not valid UTF-8. A template that fails to render (including its own
  // raise_exception()) falls back to the built-in format with a warning rather than failing.
  Result<RenderedPrompt> render(std::span<const ChatMessage> messages, const ChatRenderOptions& options = {}) const;

  ChatFamily family() const { return family_; }
  // Why the template source could not be used; empty when it parsed (or when there was none).
  const std::string& parse_error() const { return parse_error_; }

 private:
  ChatTemplate(ChatFamily family, ChatTemplateConfig config) : family_(family), config_(std::move(config)) {}

  ChatFamily family_;
  ChatTemplateConfig config_;
  std::optional<jinja::Template> template_;
  std::string parse_error_;
  std::string builtin_warning_;  // given with every prompt of the built-in format when a template was wanted
};

// The prompt in the built-in format of `family` (ChatML for unknown). Exposed for tests and for tools that show a
// prompt without a model.
// Message text with every occurrence of a control token's text (e.g. "<|im_end|>") broken by a zero-width space
// after its first character, so that text from a visitor or a document cannot close its turn and open a system
// turn when the rendered prompt is tokenized with special tokens recognised.
std::string defuse_control_tokens(std::string_view text, std::span<const std::string> control_texts);

std::string render_builtin_chat(ChatFamily family, std::span<const ChatMessage> messages, bool add_generation_prompt,
                                std::string_view bos_token, std::string_view eos_token);

}  // namespace parley::engine
