#include "engine/chat-template.h"

#include <array>
#include <ctime>
#include <memory>

#include "common/utf8.h"
#include "engine/jinja/error.h"
#include "engine/jinja/value.h"

namespace parley::engine {
namespace {

using jinja::Value;

// strftime_now(format): the given time in UTC, as transformers provides it to templates (Llama 3.2, Granite).
Value make_strftime_now(std::time_t now) {
  auto callable = std::make_shared<jinja::Callable>();
  callable->name = "strftime_now";
  callable->call = [now](jinja::Interpreter&, jinja::CallArgs& args) {
    if (args.positional.size() != 1 || !args.positional.front().is_string() || !args.keyword.empty()) {
      throw jinja::JinjaError("strftime_now() takes one format string");
    }
    const std::string& format = args.positional.front().as_string();
    if (format.size() > 128) throw jinja::JinjaError("strftime_now(): format string too long");
    std::tm parts{};
    gmtime_r(&now, &parts);
    char buffer[512];
    const std::size_t length = std::strftime(buffer, sizeof buffer, format.c_str(), &parts);
    if (length == 0 && !format.empty()) throw jinja::JinjaError("strftime_now(): result too long");
    return Value::string(std::string(buffer, length));
  };
  return Value::callable(std::move(callable));
}

std::shared_ptr<const jinja::Object> make_context(std::span<const ChatMessage> messages,
                                                  const ChatRenderOptions& options,
                                                  const ChatTemplateConfig& config) {
  auto context = std::make_shared<jinja::Object>();
  jinja::Array message_values;
  message_values.reserve(messages.size());
  for (const ChatMessage& message : messages) {
    auto object = std::make_shared<jinja::Object>();
    object->set("role", Value::string(message.role));
    object->set("content", Value::string(message.content));
    message_values.push_back(Value::object(std::move(object)));
  }
  context->set("messages", Value::array(std::move(message_values)));
  context->set("add_generation_prompt", Value::boolean(options.add_generation_prompt));
  context->set("bos_token", Value::string(config.bos_token));
  context->set("eos_token", Value::string(config.eos_token));
  // transformers always passes these two, as None when absent.
  context->set("tools", Value::none());
  context->set("documents", Value::none());
  if (options.enable_thinking) context->set("enable_thinking", Value::boolean(*options.enable_thinking));
  const auto now = options.now.value_or(std::chrono::system_clock::now());
  context->set("strftime_now", make_strftime_now(std::chrono::system_clock::to_time_t(now)));
  if (options.extra_context.is_object()) {
    for (const auto& [key, value] : options.extra_context.items()) context->set(key, jinja::from_json(value));
  }
  return context;
}

}  // namespace

std::string_view chat_family_name(ChatFamily family) {
  switch (family) {
    case ChatFamily::unknown: return "unknown";
    case ChatFamily::chatml: return "chatml";
    case ChatFamily::llama2: return "llama2";
    case ChatFamily::llama3: return "llama3";
    case ChatFamily::mistral: return "mistral";
    case ChatFamily::gemma: return "gemma";
    case ChatFamily::phi3: return "phi3";
    case ChatFamily::granite: return "granite";
    case ChatFamily::deepseek_r1: return "deepseek_r1";
  }
  return "unknown";
}

ChatFamily recognize_chat_family(std::string_view source) {
  const auto has = [&](std::string_view marker) { return source.find(marker) != std::string_view::npos; };
  if (has("<|start_header_id|>")) return ChatFamily::llama3;
  if (has("<\xEF\xBD\x9CUser\xEF\xBD\x9C>")) return ChatFamily::deepseek_r1;  // <｜User｜> with full-width bars
  if (has("<|im_start|>")) return ChatFamily::chatml;
  if (has("<start_of_turn>")) return ChatFamily::gemma;
  if (has("<|start_of_role|>")) return ChatFamily::granite;
  if (has("<|user|>") && has("<|end|>")) return ChatFamily::phi3;
  if (has("[INST]")) return has("<<SYS>>") ? ChatFamily::llama2 : ChatFamily::mistral;
  return ChatFamily::unknown;
}

ChatTemplate ChatTemplate::from_source(std::string_view source, ChatTemplateConfig config) {
  ChatTemplate chat(recognize_chat_family(source), std::move(config));
  const std::string fallback_name(chat_family_name(chat.family_ == ChatFamily::unknown ? ChatFamily::chatml
                                                                                      : chat.family_));
  if (source.empty()) {
    chat.builtin_warning_ = "the model has no chat template; using the built-in " + fallback_name + " format";
    return chat;
  }
  auto parsed = jinja::Template::parse(source, chat.config_.limits);
  if (parsed.ok()) {
    chat.template_ = std::move(parsed).value();
  } else {
    chat.parse_error_ = parsed.error().message;
    chat.builtin_warning_ = chat.parse_error_ + "; using the built-in " + fallback_name + " format";
  }
  return chat;
}

ChatTemplate ChatTemplate::builtin(ChatFamily family, ChatTemplateConfig config) {
  return ChatTemplate(family, std::move(config));
}

Result<RenderedPrompt> ChatTemplate::render(std::span<const ChatMessage> messages,
                                            const ChatRenderOptions& options) const {
  for (const ChatMessage& message : messages) {
    if (!is_valid_utf8(message.role) || !is_valid_utf8(message.content)) {
      return make_error(ErrorCode::invalid_utf8, "chat message is not valid UTF-8");
    }
  }
  RenderedPrompt prompt;
  prompt.family = family_;
  bool rendered = false;
  if (template_) {
    std::shared_ptr<const jinja::Object> context;
    try {
      context = make_context(messages, options, config_);
    } catch (const jinja::JinjaError& error) {
      return make_error(ErrorCode::invalid_request, std::string("chat template context: ") + error.what());
    }
    auto text = template_->render(std::move(context));
    if (text.ok()) {
      prompt.text = std::move(text).value();
      rendered = true;
    } else {
      const ChatFamily format = family_ == ChatFamily::unknown ? ChatFamily::chatml : family_;
      prompt.warnings.push_back(text.error().message + "; using the built-in " +
                                std::string(chat_family_name(format)) + " format");
    }
  } else if (!builtin_warning_.empty()) {
    prompt.warnings.push_back(builtin_warning_);
  }
  if (!rendered) {
    prompt.used_fallback = !prompt.warnings.empty();
    if (prompt.family == ChatFamily::unknown) prompt.family = ChatFamily::chatml;
    prompt.text = render_builtin_chat(prompt.family, messages, options.add_generation_prompt, config_.bos_token,
                                      config_.eos_token);
  }
  if (config_.strip_leading_bos && !config_.bos_token.empty() && prompt.text.starts_with(config_.bos_token)) {
    prompt.text.erase(0, config_.bos_token.size());
  }
  return prompt;
}

std::string defuse_control_tokens(std::string_view text, std::span<const std::string> control_texts) {
  static constexpr std::string_view kZeroWidthSpace = "\u200b";
  // Only positions whose byte begins some control text are compared (most bytes begin none).
  std::array<bool, 256> starts{};
  for (const auto& control : control_texts) {
    if (!control.empty()) starts[static_cast<unsigned char>(control[0])] = true;
  }
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t matched = 0;
    if (!starts[static_cast<unsigned char>(text[i])]) {
      out += text[i++];
      continue;
    }
    for (const auto& control : control_texts) {
      if (control.size() > matched && text.substr(i, control.size()) == control) matched = control.size();
    }
    if (matched == 0) {
      out += text[i++];
      continue;
    }
    // The first byte of every control text in use is ASCII ('<', '[' ...), so the split keeps UTF-8 valid; a
    // multi-byte first character is copied whole first.
    std::size_t first = 1;
    while (first < matched && (static_cast<unsigned char>(text[i + first]) & 0xC0) == 0x80) ++first;
    out.append(text.substr(i, first));
    out.append(kZeroWidthSpace);
    out.append(text.substr(i + first, matched - first));
    i += matched;
  }
  return out;
}

}  // namespace parley::engine
