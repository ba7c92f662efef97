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
          {"crawl", source.config.contains("crawl") ? source.config["crawl"] : Json(nullptr)},
          {"next_sync_at", source.next_sync_at ? Json(format_rfc3339(*source.next_sync_at)) : Json(nullptr)},
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
          {"modified_at", document.modified_at ? Json(format_rfc3339(*document.modified_at)) : Json(nullptr)},
          {"updated_at", format_rfc3339(document.updated_at)}};
}

Json conversation_view(const store::Conversation& conversation) {
  return {{"id", conversation.id},
          {"bot_id", conversation.bot_id},
          {"status", conversation.status},
          {"message_count", conversation.message_count},
          {"first_question", conversation.first_question},
          {"fallback_count", conversation.fallback_count},
          {"thumbs_up", conversation.thumbs_up},
          {"thumbs_down", conversation.thumbs_down},
          {"test", conversation.test},
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
    view["rating"] = message.rating;
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

Json user_view(const store::User& user) {
  return {{"id", user.id},
          {"email", user.email},
          {"name", user.name},
          {"role", std::string(store::role_name(user.role))},
          {"workspace_id", user.workspace_id},
          {"state", user.password_hash.empty() ? "invited" : "active"},
          {"created_at", format_rfc3339(user.created_at)}};
}

Json key_view(const store::ApiKey& key) {
  return {{"id", key.id},
          {"name", key.name},
          {"prefix", key.prefix},
          {"role", std::string(store::role_name(key.role))},
          {"created_at", format_rfc3339(key.created_at)},
          {"last_used_at", key.last_used_at ? Json(format_rfc3339(*key.last_used_at)) : Json(nullptr)},
          {"revoked", key.revoked_at.has_value()}};
}

Json job_view(const store::Job& job) {
  const auto time = [](const std::optional<std::int64_t>& at) { return at ? Json(format_rfc3339(*at)) : Json(nullptr); };
  return {{"id", job.id},
          {"bot_id", job.bot_id},
          {"source_id", job.source_id.empty() ? Json(nullptr) : Json(job.source_id)},
          {"kind", job.kind},
          {"state", std::string(store::job_state_name(job.state))},
          {"requested", job.requested.empty() ? Json(nullptr) : Json(job.requested)},
          {"trigger", job.trigger},
          {"progress", job.progress},
          {"result", job.result},
          {"error", job.error.empty() ? Json(nullptr) : Json(job.error)},
          {"attempts", job.attempts},
          {"created_at", format_rfc3339(job.created_at)},
          {"started_at", time(job.started_at)},
          {"finished_at", time(job.finished_at)},
          {"updated_at", format_rfc3339(job.updated_at)}};
}

Json crawl_page_view(const store::CrawlPage& page) {
  return {{"url", page.url},
          {"depth", page.depth},
          {"done", page.done},
          {"outcome", page.done ? Json(page.outcome) : Json("pending")},
          {"reason", page.reason.empty() ? Json(nullptr) : Json(page.reason)},
          {"http_status", page.http_status == 0 ? Json(nullptr) : Json(page.http_status)},
          {"document_uri", page.document_uri.empty() ? Json(nullptr) : Json(page.document_uri)},
          {"referrer", page.referrer.empty() ? Json(nullptr) : Json(page.referrer)}};
}

Json generation_view(const chat::GenerationSummary& generation) {
  return {{"provider", generation.provider},
          {"model", generation.model},
          {"prompt_tokens", generation.usage.prompt_tokens},
          {"completion_tokens", generation.usage.completion_tokens},
          {"cost_usd", generation.cost_usd},
          {"first_token_ms", generation.first_token_ms},
          {"routing", generation.routing}};
}

Json usage_view(const store::UsageRow& row) {
  return {{"day", row.day},
          {"bot_id", row.bot_id},
          {"provider", row.provider},
          {"model", row.model},
          {"requests", row.requests},
          {"failures", row.failures},
          {"prompt_tokens", row.prompt_tokens},
          {"completion_tokens", row.completion_tokens},
          {"cost_usd", row.cost_usd},
          {"mean_first_token_ms", row.mean_first_token_ms},
          {"mean_total_ms", row.mean_total_ms}};
}

}  // namespace parley::api
