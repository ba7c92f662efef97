// Parley's OpenAI-compatible API for developers, with a workspace API key as the bearer token:
//   POST /v1/chat/completions  model "bot:<id>" runs the bot's full pipeline (retrieval, curated answers, grounded
//                              generation along its routes); a provider's name ("openai", "local") or
//                              "<provider>/<model>" passes the messages to that provider as they are.
//   GET  /v1/models            every bot of the workspace as "bot:<id>", every configured provider.
//   POST /v1/embeddings        the engine's embedding model.
// Streaming follows the OpenAI wire format: `data: {chat.completion.chunk}` events, then `data: [DONE]`.
#include <chrono>
#include <mutex>

#include "api/handlers.h"
#include "common/ids.h"
#include "common/logging.h"
#include "common/utf8.h"
#include "llm/types.h"

namespace parley::api {
namespace {

// The ceiling on a completion's length, whatever a client asks (unbounded consumption).
constexpr std::int64_t kMaxCompletionTokens = 4096;

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Json openai_error(std::string message) {
  return {{"error", {{"message", std::move(message)}, {"type", "invalid_request_error"}}}};
}

http::Response bad_request(std::string message) { return http::json_response(400, openai_error(std::move(message))); }

// The text of a message's content: a string, or an array of parts of which the text parts count.
Result<std::string> content_text(const Json& content) {
  if (content.is_string()) return content.get<std::string>();
  if (content.is_null()) return std::string();
  if (!content.is_array()) return make_error(ErrorCode::invalid_request, "message content must be a string or an array");
  std::string text;
  for (const auto& part : content) {
    if (part.is_object() && part.value("type", "") == "text" && part.contains("text") && part["text"].is_string()) {
      if (!text.empty()) text += "\n";
      text += part["text"].get<std::string>();
    }
  }
  return text;
}

struct CompletionRequest {
  std::string model;
  std::vector<llm::ChatMessage> messages;
  bool stream = false;
  bool include_usage = false;
  llm::GenerationRequest generation;
};

Result<CompletionRequest> parse_completion_request(const Json& body) {
  CompletionRequest out;
  if (!body.contains("model") || !body["model"].is_string()) {
    return make_error(ErrorCode::invalid_request, "`model` must be a string");
  }
  out.model = body["model"].get<std::string>();
  if (!body.contains("messages") || !body["messages"].is_array() || body["messages"].empty()) {
    return make_error(ErrorCode::invalid_request, "`messages` must be a non-empty array");
  }
  for (const auto& message : body["messages"]) {
    if (!message.is_object() || !message.contains("role") || !message["role"].is_string()) {
      return make_error(ErrorCode::invalid_request, "each message needs a string `role`");
    }
    std::string role = message["role"].get<std::string>();
    if (role == "developer") role = "system";
    if (role != "system" && role != "user" && role != "assistant") {
      return make_error(ErrorCode::invalid_request, "message role must be system, developer, user or assistant");
    }
    PARLEY_ASSIGN_OR_RETURN(std::string text, content_text(message.value("content", Json())));
    if (!is_valid_utf8(text)) return make_error(ErrorCode::invalid_utf8, "message content is not valid UTF-8");
    out.messages.push_back({std::move(role), std::move(text)});
  }
  out.stream = body.value("stream", false);
  if (body.contains("stream_options") && body["stream_options"].is_object()) {
    out.include_usage = body["stream_options"].value("include_usage", false);
  }
  auto& generation = out.generation;
  const Json* max_tokens = body.contains("max_completion_tokens") ? &body["max_completion_tokens"]
                           : body.contains("max_tokens")          ? &body["max_tokens"]
                                                                  : nullptr;
  if (max_tokens && !max_tokens->is_null()) {
    if (!max_tokens->is_number_integer() || max_tokens->get<std::int64_t>() < 1) {
      return make_error(ErrorCode::invalid_request, "`max_tokens` must be a positive integer");
    }
    generation.max_tokens = static_cast<int>(std::min<std::int64_t>(max_tokens->get<std::int64_t>(), kMaxCompletionTokens));
  }
  if (body.contains("temperature") && !body["temperature"].is_null()) {
    if (!body["temperature"].is_number() || body["temperature"].get<double>() < 0 || body["temperature"].get<double>() > 2) {
      return make_error(ErrorCode::invalid_request, "`temperature` must be a number from 0 to 2");
    }
    generation.temperature = body["temperature"].get<double>();
  }
  if (body.contains("seed") && body["seed"].is_number_integer()) generation.seed = body["seed"].get<std::uint64_t>();
  if (body.contains("stop") && !body["stop"].is_null()) {
    const auto& stop = body["stop"];
    if (stop.is_string()) {
      generation.stop.push_back(stop.get<std::string>());
    } else if (stop.is_array() && stop.size() <= 4) {
      for (const auto& item : stop) {
        if (!item.is_string()) return make_error(ErrorCode::invalid_request, "`stop` must hold strings");
        generation.stop.push_back(item.get<std::string>());
      }
    } else {
      return make_error(ErrorCode::invalid_request, "`stop` must be a string or up to 4 strings");
    }
  }
  generation.messages = out.messages;
  return out;
}

// The OpenAI stream of one completion: a role chunk, content chunks, the finish chunk, usage, [DONE].
class CompletionStream {
 public:
  CompletionStream(std::string model, bool include_usage)
      : events_(std::make_shared<http::EventStream>()),
        id_("chatcmpl-" + random_token(12)),
        model_(std::move(model)),
        created_(unix_seconds()),
        include_usage_(include_usage) {
    push(Json{{"role", "assistant"}, {"content", ""}}, nullptr);
  }

  std::shared_ptr<http::EventStream> events() const { return events_; }
  bool cancelled() const { return events_->cancelled(); }
  void content(std::string_view text) { push(Json{{"content", text}}, nullptr); }
  // Text already sent is withdrawn: OpenAI's format has no such event, so Parley sends its own field.
  void reset() {
    Json chunk = base();
    chunk["choices"] = Json::array({{{"index", 0}, {"delta", Json::object()}, {"finish_reason", nullptr}}});
    chunk["parley_reset"] = true;
    events_->push({"message", chunk.dump()});
  }
  void finish(const llm::Usage& usage, const std::string& finish_reason, Json extra = nullptr) {
    Json chunk = base();
    chunk["choices"] = Json::array({{{"index", 0}, {"delta", Json::object()}, {"finish_reason", finish_reason}}});
    if (!extra.is_null()) chunk["parley"] = std::move(extra);
    events_->push({"message", chunk.dump()});
    if (include_usage_) {
      Json last = base();
      last["choices"] = Json::array();
      last["usage"] = usage_json(usage);
      events_->push({"message", last.dump()});
    }
    done();
  }
  void fail(const Error& error) {
    events_->push({"message", Json{{"error", {{"message", error.message}, {"type", error_code_name(error.code)}}}}.dump()});
    done();
  }
  static Json usage_json(const llm::Usage& usage) {
    return {{"prompt_tokens", usage.prompt_tokens},
            {"completion_tokens", usage.completion_tokens},
            {"total_tokens", usage.prompt_tokens + usage.completion_tokens}};
  }
  Json completion(const std::string& text, const llm::Usage& usage, const std::string& finish_reason) const {
    Json out = base();
    out["object"] = "chat.completion";
    out["choices"] = Json::array({{{"index", 0},
                                   {"message", {{"role", "assistant"}, {"content", text}}},
                                   {"finish_reason", finish_reason}}});
    out["usage"] = usage_json(usage);
    return out;
  }

 private:
  Json base() const {
    return {{"id", id_}, {"object", "chat.completion.chunk"}, {"created", created_}, {"model", model_}};
  }
  void push(Json delta, std::nullptr_t) {
    Json chunk = base();
    chunk["choices"] = Json::array({{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", nullptr}}});
    events_->push({"message", chunk.dump()});
  }
  void done() {
    events_->push({"message", "[DONE]"});
    events_->close();
  }

  std::shared_ptr<http::EventStream> events_;
  std::string id_;
  std::string model_;
  std::int64_t created_;
  bool include_usage_;
};

// The streamed chunks, or the completion once the deferred response is resolved.
http::Response completion_response(bool streaming, const CompletionStream& stream,
                                   std::shared_ptr<http::DeferredResponse> deferred) {
  http::Response response;
  if (streaming) {
    response.events = stream.events();
  } else {
    response.deferred = std::move(deferred);
  }
  return response;
}

// model "bot:<id>": the bot's pipeline; the last user message is the question, earlier ones its history.
http::Response complete_with_bot(ApiContext& context, const auth::Principal& who, CompletionRequest request,
                                 std::string bot_id) {
  chat::ChatRequest chat_request;
  chat_request.bot_id = std::move(bot_id);
  std::size_t last_user = request.messages.size();
  for (std::size_t i = request.messages.size(); i-- > 0;) {
    if (request.messages[i].role == "user") {
      last_user = i;
      break;
    }
  }
  if (last_user == request.messages.size()) return bad_request("the messages contain no user message");
  chat_request.message = request.messages[last_user].content;
  for (std::size_t i = 0; i < last_user; ++i) {
    if (request.messages[i].role != "system") chat_request.history.push_back(request.messages[i]);
  }
  auto stream = std::make_shared<CompletionStream>(request.model, request.include_usage);
  auto cancellation = std::make_shared<llm::Cancellation>();
  auto deferred = std::make_shared<http::DeferredResponse>();
  const bool streaming = request.stream;
  chat::ChatEvents events;
  if (streaming) {
    events.on_delta = [stream, cancellation](std::string_view text) {
      if (stream->cancelled()) cancellation->cancel();
      stream->content(text);
    };
    events.on_reset = [stream] { stream->reset(); };
  }
  events.on_done = [stream, deferred, streaming](Result<chat::ChatReply> reply) {
    if (!reply.ok()) {
      if (streaming) return stream->fail(reply.error());
      return deferred->resolve(http::error_response(reply.error()));
    }
    const Json extra = {{"mode", reply->answer.mode},
                        {"sources", citations_view(reply->answer.sources)},
                        {"conversation_id", reply->conversation_id},
                        {"generation", generation_view(reply->generation)}};
    if (streaming) return stream->finish(reply->generation.usage, "stop", extra);
    Json body = stream->completion(reply->answer.text, reply->generation.usage, "stop");
    body["parley"] = extra;
    deferred->resolve(http::json_response(200, body));
  };
  context.chat().ask_stream(scope_of(who), chat_request, std::move(events), cancellation);
  return completion_response(streaming, *stream, deferred);
}

// A provider by name: the messages go to it as they are (no retrieval, no grounding).
http::Response complete_with_provider(const llm::ProviderRegistry& registry, CompletionRequest request) {
  std::string name = request.model;
  std::string model;
  if (const auto slash = name.find('/'); slash != std::string::npos) {
    model = name.substr(slash + 1);
    name.resize(slash);
  }
  auto provider = registry.find(name);
  if (!provider) return http::json_response(404, openai_error("no model called " + request.model + " (see GET /v1/models)"));
  request.generation.model = model.empty() ? registry.info(name)->model : model;
  request.generation.request_id = std::string(current_request_id());
  auto stream = std::make_shared<CompletionStream>(request.model, request.include_usage);
  auto cancellation = std::make_shared<llm::Cancellation>();
  auto deferred = std::make_shared<http::DeferredResponse>();
  const bool streaming = request.stream;
  llm::GenerationSink sink;
  if (streaming) {
    sink.on_delta = [stream, cancellation](std::string_view text) {
      if (stream->cancelled()) cancellation->cancel();
      stream->content(text);
    };
  }
  sink.on_done = [stream, deferred, streaming](llm::GenerationOutcome outcome) {
    const auto& result = outcome.result;
    const std::string finish = result.finish_reason == "length" ? "length" : "stop";
    if (!outcome.ok()) {
      if (streaming) return stream->fail(*outcome.error);
      return deferred->resolve(http::error_response(*outcome.error));
    }
    if (streaming) return stream->finish(result.usage, finish);
    deferred->resolve(http::json_response(200, stream->completion(result.text, result.usage, finish)));
  };
  provider->generate(request.generation, std::move(sink), cancellation);
  return completion_response(streaming, *stream, deferred);
}

}  // namespace

void register_openai_routes(http::Router& router, ApiContext& context) {
  router.add("POST", "/v1/chat/completions", admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
    const auto body = http::parse_json_object(request);
    if (!body.ok()) return bad_request(body.error().message);
    auto parsed = parse_completion_request(*body);
    if (!parsed.ok()) return bad_request(parsed.error().message);
    if (parsed->model.rfind("bot:", 0) == 0) {
      std::string bot_id = parsed->model.substr(4);
      return complete_with_bot(context, who, std::move(*parsed), std::move(bot_id));
    }
    const auto providers = context.providers();
    if (!providers) return http::json_response(404, openai_error("no providers are configured; use model \"bot:<id>\""));
    return complete_with_provider(*providers, std::move(*parsed));
  }));

  router.add("GET", "/v1/models", admin(context, store::Role::viewer, [&context](http::Request&, const auth::Principal& who) {
    Json data = Json::array();
    std::vector<store::Bot> bots;
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(bots, tx.bots());
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    for (const auto& bot : bots) {
      data.push_back({{"id", "bot:" + bot.id}, {"object", "model"}, {"created", bot.created_at / 1000},
                      {"owned_by", who.workspace_id}, {"name", bot.name}});
    }
    if (const auto providers = context.providers()) {
      for (const auto& info : providers->list()) {
        data.push_back({{"id", info.name}, {"object", "model"}, {"created", 0}, {"owned_by", info.kind},
                        {"default_model", info.model}});
      }
    }
    return http::json_response(200, {{"object", "list"}, {"data", data}});
  }));

  router.add("POST", "/v1/embeddings", admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal&) {
    const auto body = http::parse_json_object(request);
    if (!body.ok()) return bad_request(body.error().message);
    const auto& embedder = context.options().embedder;
    if (!embedder) return http::json_response(404, openai_error("no embedding model is loaded ([engine].embedding_model)"));
    std::vector<std::string> inputs;
    const Json input = body->value("input", Json());
    if (input.is_string()) {
      inputs.push_back(input.get<std::string>());
    } else if (input.is_array() && !input.empty() && input.size() <= 256) {
      for (const auto& item : input) {
        if (!item.is_string()) return bad_request("`input` must be a string or an array of strings");
        inputs.push_back(item.get<std::string>());
      }
    } else {
      return bad_request("`input` must be a string or an array of 1 to 256 strings");
    }
    Json data = Json::array();
    std::int64_t tokens = 0;
    // The engine's embedding state serves one text at a time.
    static std::mutex embedding_mutex;
    std::lock_guard lock(embedding_mutex);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (!is_valid_utf8(inputs[i])) return bad_request("input " + std::to_string(i) + " is not valid UTF-8");
      auto vector = embedder->embed(inputs[i]);
      if (!vector.ok()) return http::error_response(vector.error());
      tokens += static_cast<std::int64_t>(embedder->tokenize(inputs[i], true, false).size());
      data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", *vector}});
    }
    return http::json_response(200, {{"object", "list"},
                                     {"data", data},
                                     {"model", body->value("model", "")},
                                     {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}});
  }));
}

}  // namespace parley::api
