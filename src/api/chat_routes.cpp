// The public chat endpoint: POST /api/v1/bots/{bot_id}/chat with {message, conversation_id?}. JSON by default;
// Server-Sent Events (delta, sources, done) when the client accepts text/event-stream.
#include "api/handlers.h"
#include "text/sentences.h"

namespace parley::api {
namespace {

Json answer_json(const chat::ChatReply& reply) {
  return {{"answer", reply.answer.text},
          {"mode", reply.answer.mode},
          {"confidence", reply.answer.confidence},
          {"sources", citations_view(reply.answer.sources)},
          {"conversation_id", reply.conversation_id},
          {"message_id", reply.message_id}};
}

// The answer as a stream: text in sentence-sized deltas, then the sources, then `done` with the metadata.
std::shared_ptr<http::EventStream> answer_events(const chat::ChatReply& reply) {
  auto events = std::make_shared<http::EventStream>();
  const std::string& text = reply.answer.text;
  std::size_t emitted = 0;
  for (const auto& span : text::split_sentences(text)) {
    // Each delta runs to the end of its sentence, including the whitespace before it, so deltas concatenate to
    // exactly the answer text.
    events->push({"delta", Json{{"text", text.substr(emitted, span.end - emitted)}}.dump()});
    emitted = span.end;
  }
  if (emitted < text.size()) events->push({"delta", Json{{"text", text.substr(emitted)}}.dump()});
  events->push({"sources", Json{{"sources", citations_view(reply.answer.sources)}}.dump()});
  Json done = answer_json(reply);
  done.erase("answer");
  done.erase("sources");
  events->push({"done", done.dump()});
  events->close();
  return events;
}

}  // namespace

void register_chat_routes(http::Router& router, ApiContext& context) {
  const auto chat = [&context](http::Request& request) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    const auto message = body.find("message");
    if (message == body.end() || !message->is_string()) {
      return http::error_response(ErrorCode::invalid_request, "`message` must be a string");
    }
    chat::ChatRequest chat_request;
    chat_request.bot_id = request.params["bot_id"];
    chat_request.message = message->get<std::string>();
    if (const auto conversation = body.find("conversation_id"); conversation != body.end() && !conversation->is_null()) {
      if (!conversation->is_string()) return http::error_response(ErrorCode::invalid_request, "`conversation_id` must be a string");
      chat_request.conversation_id = conversation->get<std::string>();
    }
    PARLEY_RESPOND_ON_ERROR(const auto reply, context.chat().ask(store::Scope::system(), chat_request));
    http::Response response;
    if (request.accepts("text/event-stream")) {
      response.events = answer_events(reply);
    } else {
      response = http::json_response(200, answer_json(reply));
    }
    // The widget runs on the business's own site: the chat endpoint is public and cross-origin.
    response.headers["Access-Control-Allow-Origin"] = "*";
    return response;
  };
  router.add("POST", "/api/v1/bots/{bot_id}/chat", chat);
  router.add("OPTIONS", "/api/v1/bots/{bot_id}/chat", [](http::Request&) {
    http::Response response;
    response.status = 204;
    response.headers["Access-Control-Allow-Origin"] = "*";
    response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS";
    response.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept";
    response.headers["Access-Control-Max-Age"] = "600";
    return response;
  });
  router.set_body_limit("POST", "/api/v1/bots/{bot_id}/chat", context.options().max_chat_body_bytes);
}

}  // namespace parley::api
