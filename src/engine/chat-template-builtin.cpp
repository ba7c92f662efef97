// The built-in prompt formats, written from each family's published format description. They are the fallback when a
// model's own template is missing or fails, so they aim at the common case: system, user and assistant turns.
#include <string>

#include "engine/chat-template.h"

namespace parley::engine {
namespace {

bool is_assistant(const ChatMessage& message) { return message.role == "assistant"; }
bool is_system(const ChatMessage& message) { return message.role == "system"; }

std::string trim_whitespace(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\n\r\f\v");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\n\r\f\v");
  return std::string(text.substr(first, last - first + 1));
}

// The system messages joined, for formats that have no system turn of their own.
std::string system_text(std::span<const ChatMessage> messages) {
  std::string text;
  for (const ChatMessage& message : messages) {
    if (!is_system(message)) continue;
    if (!text.empty()) text += "\n\n";
    text += message.content;
  }
  return text;
}

// <|im_start|>role\ncontent<|im_end|>\n per message.
std::string render_chatml(std::span<const ChatMessage> messages, bool add_generation_prompt) {
  std::string out;
  for (const ChatMessage& message : messages) {
    out += "<|im_start|>" + message.role + "\n" + message.content + "<|im_end|>\n";
  }
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

// <s>[INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST] assistant </s><s>[INST] user [/INST]
std::string render_llama2(std::span<const ChatMessage> messages, std::string_view bos, std::string_view eos) {
  std::string out;
  std::string pending_system = system_text(messages);
  for (const ChatMessage& message : messages) {
    if (is_system(message)) continue;
    if (is_assistant(message)) {
      out += ' ';
      out += trim_whitespace(message.content);
      out += ' ';
      out += eos;
      continue;
    }
    out += std::string(bos) + "[INST] ";
    if (!pending_system.empty()) {
      out += "<<SYS>>\n" + pending_system + "\n<</SYS>>\n\n";
      pending_system.clear();
    }
    out += trim_whitespace(message.content) + " [/INST]";
  }
  return out;
}

// <|begin_of_text|><|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>...
std::string render_llama3(std::span<const ChatMessage> messages, bool add_generation_prompt, std::string_view bos) {
  std::string out(bos);
  for (const ChatMessage& message : messages) {
    out += "<|start_header_id|>" + message.role + "<|end_header_id|>\n\n" + trim_whitespace(message.content) +
           "<|eot_id|>";
  }
  if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

// <s>[INST]user[/INST]assistant</s>[INST]system\n\nlast user[/INST] (the system prompt joins the last user turn).
std::string render_mistral(std::span<const ChatMessage> messages, std::string_view bos, std::string_view eos) {
  const std::string system = system_text(messages);
  std::size_t last_user = messages.size();
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (!is_system(messages[i]) && !is_assistant(messages[i])) last_user = i;
  }
  std::string out(bos);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& message = messages[i];
    if (is_system(message)) continue;
    if (is_assistant(message)) {
      out += message.content + std::string(eos);
    } else if (i == last_user && !system.empty()) {
      out += "[INST]" + system + "\n\n" + message.content + "[/INST]";
    } else {
      out += "[INST]" + message.content + "[/INST]";
    }
  }
  return out;
}

// <bos><start_of_turn>user\ncontent<end_of_turn>\n<start_of_turn>model\n... (the system prompt joins the first user
// turn: Gemma has no system role).
std::string render_gemma(std::span<const ChatMessage> messages, bool add_generation_prompt, std::string_view bos) {
  std::string pending_system = system_text(messages);
  std::string out(bos);
  for (const ChatMessage& message : messages) {
    if (is_system(message)) continue;
    std::string content = trim_whitespace(message.content);
    if (!is_assistant(message) && !pending_system.empty()) {
      content = pending_system + "\n\n" + content;
      pending_system.clear();
    }
    out += "<start_of_turn>" + std::string(is_assistant(message) ? "model" : "user") + "\n" + content +
           "<end_of_turn>\n";
  }
  if (add_generation_prompt) out += "<start_of_turn>model\n";
  return out;
}

// <|system|>\ncontent<|end|>\n<|user|>\ncontent<|end|>\n<|assistant|>\n
std::string render_phi3(std::span<const ChatMessage> messages, bool add_generation_prompt, std::string_view eos) {
  std::string out;
  for (const ChatMessage& message : messages) {
    out += "<|" + message.role + "|>\n" + message.content + "<|end|>\n";
  }
  out += add_generation_prompt ? std::string("<|assistant|>\n") : std::string(eos);
  return out;
}

// <|start_of_role|>role<|end_of_role|>content<|end_of_text|>\n
std::string render_granite(std::span<const ChatMessage> messages, bool add_generation_prompt) {
  std::string out;
  for (const ChatMessage& message : messages) {
    out += "<|start_of_role|>" + message.role + "<|end_of_role|>" + message.content + "<|end_of_text|>\n";
  }
  if (add_generation_prompt) out += "<|start_of_role|>assistant<|end_of_role|>";
  return out;
}

// <｜begin▁of▁sentence｜>system<｜User｜>user<｜Assistant｜>assistant<｜end▁of▁sentence｜>...<｜Assistant｜><think>\n
std::string render_deepseek_r1(std::span<const ChatMessage> messages, bool add_generation_prompt,
                               std::string_view bos) {
  std::string out = std::string(bos) + system_text(messages);
  for (const ChatMessage& message : messages) {
    if (is_system(message)) continue;
    if (is_assistant(message)) {
      out += "<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C>" + message.content + "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>";
    } else {
      out += "<\xEF\xBD\x9CUser\xEF\xBD\x9C>" + message.content;
    }
  }
  if (add_generation_prompt) out += "<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C><think>\n";
  return out;
}

}  // namespace

std::string render_builtin_chat(ChatFamily family, std::span<const ChatMessage> messages, bool add_generation_prompt,
                                std::string_view bos_token, std::string_view eos_token) {
  switch (family) {
    case ChatFamily::llama2: return render_llama2(messages, bos_token, eos_token);
    case ChatFamily::llama3: return render_llama3(messages, add_generation_prompt, bos_token);
    case ChatFamily::mistral: return render_mistral(messages, bos_token, eos_token);
    case ChatFamily::gemma: return render_gemma(messages, add_generation_prompt, bos_token);
    case ChatFamily::phi3: return render_phi3(messages, add_generation_prompt, eos_token);
    case ChatFamily::granite: return render_granite(messages, add_generation_prompt);
    case ChatFamily::deepseek_r1: return render_deepseek_r1(messages, add_generation_prompt, bos_token);
    case ChatFamily::chatml:
    case ChatFamily::unknown: break;
  }
  return render_chatml(messages, add_generation_prompt);
}

}  // namespace parley::engine
