#include "api/views.h"

#include "common/clock.h"

namespace parley::api {

Json bot_view(const store::Bot& bot) {
  return {{"id", bot.id},
          {"name", bot.name},
          {"settings", bot.settings},
          {"knowledge_version", bot.knowledge_version},
          {"chat_url", "/api/v1/bots/" + bot.id + "/chat"},
          {"created_at", format_rfc3339(bot.created_at)},
          {"updated_at", format_rfc3339(bot.updated_at)}};
}

Json source_view(const store::Source& source) {
  return {{"id", source.id},
          {"bot_id", source.bot_id},
          {"kind", std::string(store::source_kind_name(source.kind))},
          {"name", source.name},
          {"status", source.status},
          {"error", source.error.empty() ? Json(nullptr) : Json(source.error)},
          {"document_count", source.document_count},
          {"chunk_count", source.chunk_count},
          {"created_at", format_rfc3339(source.created_at)},
          {"updated_at", format_rfc3339(source.updated_at)}};
}

Json document_view(const store::Document& document) {
  return {{"id", document.id},
          {"source_id", document.source_id},
          {"uri", document.uri},
          {"title", document.title},
          {"content_type", document.content_type},
          {"content_hash", document.content_hash},
          {"byte_size", document.byte_size},
          {"language", document.language},
          {"status", document.status},
          {"error", document.error.empty() ? Json(nullptr) : Json(document.error)},
          {"updated_at", format_rfc3339(document.updated_at)}};
}

Json conversation_view(const store::Conversation& conversation) {
  return {{"id", conversation.id},
          {"bot_id", conversation.bot_id},
          {"status", conversation.status},
          {"message_count", conversation.message_count},
          {"created_at", format_rfc3339(conversation.created_at)},
          {"updated_at", format_rfc3339(conversation.updated_at)}};
}

Json message_view(const store::Message& message) {
  Json sources = Json::array();
  for (const auto& source : message.sources) {
    sources.push_back({{"title", source.title}, {"url", source.url}, {"snippet", source.snippet}, {"score", source.score}});
  }
  Json view = {{"id", message.id},
               {"role", message.role},
               {"text", message.text},
               {"created_at", format_rfc3339(message.created_at)}};
  if (message.role == "assistant") {
    view["mode"] = message.mode;
    view["confidence"] = message.confidence;
    view["sources"] = sources;
    view["latency_ms"] = static_cast<double>(message.latency_us) / 1000.0;
  }
  return view;
}

Json citation_view(const chat::Citation& citation) {
  return {{"title", citation.title}, {"url", citation.url}, {"snippet", citation.snippet}, {"score", citation.score}};
}

Json citations_view(const std::vector<chat::Citation>& citations) {
  Json out = Json::array();
  for (const auto& citation : citations) out.push_back(citation_view(citation));
  return out;
}

}  // namespace parley::api
