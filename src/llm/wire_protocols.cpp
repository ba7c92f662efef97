// The two wire formats of remote providers, from their public API references:
//  - OpenAI Chat Completions: POST {base}/chat/completions, `Authorization: Bearer`, stream of `data: {chunk}`
//    events with choices[0].delta.content and finish_reason, `usage` in the last chunk when
//    stream_options.include_usage is set, ended by `data: [DONE]`.
//  - Anthropic Messages: POST {base}/messages, `x-api-key` and `anthropic-version`, the system prompt as a
//    top-level field, named events message_start (input usage), content_block_delta (text_delta),
//    message_delta (stop_reason, output usage), message_stop, ping, and error.
#include <nlohmann/json.hpp>

#include "llm/remote_provider.h"

namespace parley::llm {
namespace {

using Json = nlohmann::json;

std::string trimmed_base(const std::string& base) {
  std::string url = base;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::vector<std::string> common_headers(const RemoteProviderConfig& config) {
  std::vector<std::string> headers = {"Content-Type: application/json", "Accept: text/event-stream"};
  for (const auto& [name, value] : config.extra_headers) headers.push_back(name + ": " + value);
  return headers;
}

std::string json_error_message(std::string_view body) {
  const Json parsed = Json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    const auto& error = parsed.contains("error") ? parsed["error"] : parsed;
    if (error.is_object() && error.contains("message") && error["message"].is_string()) return error["message"];
    if (error.is_string()) return error.get<std::string>();
  }
  std::string text(body.substr(0, 200));
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return text;
}

class OpenAiProtocol final : public WireProtocol {
 public:
  std::string endpoint(const RemoteProviderConfig& config) const override {
    return trimmed_base(config.base_url) + "/chat/completions";
  }

  std::vector<std::string> headers(const RemoteProviderConfig& config) const override {
    auto headers = common_headers(config);
    if (!config.api_key.empty()) headers.push_back("Authorization: Bearer " + config.api_key);
    return headers;
  }

  std::string body(const RemoteProviderConfig&, const GenerationRequest& request) const override {
    Json messages = Json::array();
    for (const auto& message : request.messages) messages.push_back({{"role", message.role}, {"content", message.content}});
    Json body = {{"model", request.model},
                 {"messages", messages},
                 {"max_tokens", request.max_tokens},
                 {"temperature", request.temperature},
                 {"stream", true},
                 {"stream_options", {{"include_usage", true}}}};
    if (request.seed) body["seed"] = *request.seed;
    if (!request.stop.empty()) body["stop"] = request.stop;
    return body.dump(-1, ' ', false, Json::error_handler_t::replace);
  }

  std::string apply(const std::string&, const std::string& data, StreamState& state) const override {
    if (data == "[DONE]") {
      state.finished = true;
      return {};
    }
    const Json chunk = Json::parse(data, nullptr, false);
    if (!chunk.is_object()) {
      state.error = make_error(ErrorCode::unavailable, "the provider sent an event that is not JSON");
      return {};
    }
    if (chunk.contains("error")) {
      state.error = make_error(ErrorCode::unavailable, json_error_message(data));
      return {};
    }
    if (const auto usage = chunk.find("usage"); usage != chunk.end() && usage->is_object()) {
      state.usage.prompt_tokens = usage->value("prompt_tokens", state.usage.prompt_tokens);
      state.usage.completion_tokens = usage->value("completion_tokens", state.usage.completion_tokens);
    }
    const auto choices = chunk.find("choices");
    if (choices == chunk.end() || !choices->is_array() || choices->empty()) return {};
    const Json& choice = (*choices)[0];
    if (!choice.is_object()) return {};
    if (const auto reason = choice.find("finish_reason"); reason != choice.end() && reason->is_string()) {
      state.finish_reason = reason->get<std::string>();
    }
    const auto delta = choice.find("delta");
    if (delta == choice.end() || !delta->is_object()) return {};
    const auto content = delta->find("content");
    return content != delta->end() && content->is_string() ? content->get<std::string>() : std::string();
  }

  std::string error_message(std::string_view body) const override { return json_error_message(body); }
};

class AnthropicProtocol final : public WireProtocol {
 public:
  std::string endpoint(const RemoteProviderConfig& config) const override {
    return trimmed_base(config.base_url) + "/messages";
  }

  std::vector<std::string> headers(const RemoteProviderConfig& config) const override {
    auto headers = common_headers(config);
    headers.push_back("anthropic-version: 2023-06-01");
    if (!config.api_key.empty()) headers.push_back("x-api-key: " + config.api_key);
    return headers;
  }

  std::string body(const RemoteProviderConfig&, const GenerationRequest& request) const override {
    std::string system;
    Json messages = Json::array();
    for (const auto& message : request.messages) {
      if (message.role == "system") {
        system += (system.empty() ? "" : "\n\n") + message.content;
      } else {
        messages.push_back({{"role", message.role}, {"content", message.content}});
      }
    }
    Json body = {{"model", request.model},
                 {"messages", messages},
                 {"max_tokens", request.max_tokens},
                 {"temperature", request.temperature},
                 {"stream", true}};
    if (!system.empty()) body["system"] = system;
    if (!request.stop.empty()) body["stop_sequences"] = request.stop;
    return body.dump(-1, ' ', false, Json::error_handler_t::replace);
  }

  std::string apply(const std::string& event_name, const std::string& data, StreamState& state) const override {
    const Json event = Json::parse(data, nullptr, false);
    if (!event.is_object()) {
      state.error = make_error(ErrorCode::unavailable, "the provider sent an event that is not JSON");
      return {};
    }
    const std::string type = event.value("type", event_name);
    if (type == "error") {
      state.error = make_error(ErrorCode::unavailable, json_error_message(data));
    } else if (type == "message_start") {
      const auto& usage = event.value("message", Json::object()).value("usage", Json::object());
      state.usage.prompt_tokens = usage.value("input_tokens", std::int64_t{0});
      state.usage.completion_tokens = usage.value("output_tokens", std::int64_t{0});
    } else if (type == "content_block_delta") {
      const auto& delta = event.value("delta", Json::object());
      if (delta.value("type", "") == "text_delta" && delta.contains("text") && delta["text"].is_string()) {
        return delta["text"].get<std::string>();
      }
    } else if (type == "message_delta") {
      const auto& delta = event.value("delta", Json::object());
      if (delta.contains("stop_reason") && delta["stop_reason"].is_string()) {
        const std::string reason = delta["stop_reason"];
        state.finish_reason = reason == "max_tokens" ? "length" : "stop";
      }
      const auto& usage = event.value("usage", Json::object());
      state.usage.completion_tokens = usage.value("output_tokens", state.usage.completion_tokens);
    } else if (type == "message_stop") {
      state.finished = true;
    }
    return {};
  }

  std::string error_message(std::string_view body) const override { return json_error_message(body); }
};

}  // namespace

const WireProtocol& openai_protocol() {
  static const OpenAiProtocol protocol;
  return protocol;
}

const WireProtocol& anthropic_protocol() {
  static const AnthropicProtocol protocol;
  return protocol;
}

}  // namespace parley::llm
