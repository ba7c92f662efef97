// Rows as both SQL backends store them: the column list of each row type next to its reader, so a SELECT and its
// reader cannot drift apart, and the JSON columns' encodings. A reader takes any row with text(i), integer(i),
// real(i) and optional_integer(i) (a SQLite statement, a PostgreSQL result row).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"
#include "store/types.h"

namespace parley::store {

inline Json parse_json_column(const std::string& text, Json fallback) {
  Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return value.is_discarded() ? fallback : value;
}

inline std::string_view chunk_kind_name(ChunkKind kind) { return kind == ChunkKind::qa ? "qa" : "passage"; }

inline Json sources_to_json(const std::vector<MessageSource>& sources) {
  Json array = Json::array();
  for (const auto& source : sources) {
    array.push_back({{"chunk_id", source.chunk_id}, {"title", source.title}, {"url", source.url},
                     {"snippet", source.snippet}, {"score", source.score}});
  }
  return array;
}

inline std::vector<MessageSource> sources_from_json(const Json& array) {
  std::vector<MessageSource> sources;
  if (!array.is_array()) return sources;
  for (const auto& item : array) {
    if (!item.is_object()) continue;
    sources.push_back({item.value("chunk_id", std::int64_t{0}), item.value("title", ""), item.value("url", ""),
                       item.value("snippet", ""), item.value("score", 0.0)});
  }
  return sources;
}

inline constexpr std::string_view kWorkspaceColumns =
    "id, name, created_at, conversation_retention_days, lead_retention_days";
inline constexpr auto read_workspace = [](const auto& row) -> Workspace {
  return Workspace{row.text(0), row.text(1), row.integer(2),
                   Retention{static_cast<int>(row.integer(3)), static_cast<int>(row.integer(4))}};
};

inline constexpr std::string_view kApiKeyColumns =
    "id, workspace_id, name, prefix, secret_hash, role, created_at, last_used_at, revoked_at";
inline constexpr auto read_api_key = [](const auto& row) -> ApiKey {
  ApiKey key;
  key.id = row.text(0);
  key.workspace_id = row.text(1);
  key.name = row.text(2);
  key.prefix = row.text(3);
  key.secret_hash = row.text(4);
  key.role = parse_role(row.text(5)).value_or(Role::viewer);
  key.created_at = row.integer(6);
  key.last_used_at = row.optional_integer(7);
  key.revoked_at = row.optional_integer(8);
  return key;
};

inline constexpr std::string_view kBotColumns = "id, workspace_id, name, settings, knowledge_version, created_at, updated_at";
inline constexpr auto read_bot = [](const auto& row) -> Bot {
  Bot bot;
  bot.id = row.text(0);
  bot.workspace_id = row.text(1);
  bot.name = row.text(2);
  bot.settings = parse_json_column(row.text(3), Json::object());
  bot.knowledge_version = row.integer(4);
  bot.created_at = row.integer(5);
  bot.updated_at = row.integer(6);
  return bot;
};

inline constexpr std::string_view kSourceColumns =
    "s.id, s.workspace_id, s.bot_id, s.kind, s.name, s.status, s.error, s.created_at, s.updated_at, "
    "(SELECT count(*) FROM documents d WHERE d.source_id = s.id), "
    "(SELECT count(*) FROM chunks c JOIN documents d ON c.document_id = d.id WHERE d.source_id = s.id), "
    "s.config, s.next_sync_at";
inline constexpr auto read_source = [](const auto& row) -> Source {
  Source source;
  source.id = row.text(0);
  source.workspace_id = row.text(1);
  source.bot_id = row.text(2);
  source.kind = parse_source_kind(row.text(3)).value_or(SourceKind::file);
  source.name = row.text(4);
  source.status = row.text(5);
  source.error = row.text(6);
  source.created_at = row.integer(7);
  source.updated_at = row.integer(8);
  source.document_count = row.integer(9);
  source.chunk_count = row.integer(10);
  source.config = parse_json_column(row.text(11), Json::object());
  source.next_sync_at = row.optional_integer(12);
  return source;
};

inline constexpr std::string_view kDocumentColumns =
    "id, workspace_id, bot_id, source_id, uri, title, content_type, content_hash, byte_size, language, status, "
    "error, created_at, updated_at, fetched_url, etag, last_modified, modified_at, links";
inline constexpr auto read_document = [](const auto& row) -> Document {
  Document doc;
  doc.id = row.text(0);
  doc.workspace_id = row.text(1);
  doc.bot_id = row.text(2);
  doc.source_id = row.text(3);
  doc.uri = row.text(4);
  doc.title = row.text(5);
  doc.content_type = row.text(6);
  doc.content_hash = row.text(7);
  doc.byte_size = row.integer(8);
  doc.language = row.text(9);
  doc.status = row.text(10);
  doc.error = row.text(11);
  doc.created_at = row.integer(12);
  doc.updated_at = row.integer(13);
  doc.fetched_url = row.text(14);
  doc.etag = row.text(15);
  doc.last_modified = row.text(16);
  doc.modified_at = row.optional_integer(17);
  const Json links = parse_json_column(row.text(18), Json::array());
  for (const auto& link : links) {
    if (link.is_string()) doc.links.push_back(link.get<std::string>());
  }
  return doc;
};

inline constexpr std::string_view kJobColumns =
    "id, workspace_id, bot_id, COALESCE(source_id, ''), kind, state, requested, triggered_by, params, progress, "
    "result, error, lease_owner, lease_expires_at, attempts, created_at, started_at, finished_at, updated_at";
inline constexpr auto read_job = [](const auto& row) -> Job {
  Job job;
  job.id = row.text(0);
  job.workspace_id = row.text(1);
  job.bot_id = row.text(2);
  job.source_id = row.text(3);
  job.kind = row.text(4);
  job.state = parse_job_state(row.text(5)).value_or(JobState::failed);
  job.requested = row.text(6);
  job.trigger = row.text(7);
  job.params = parse_json_column(row.text(8), Json::object());
  job.progress = parse_json_column(row.text(9), Json::object());
  job.result = parse_json_column(row.text(10), Json::object());
  job.error = row.text(11);
  job.lease_owner = row.text(12);
  job.lease_expires_at = row.integer(13);
  job.attempts = static_cast<int>(row.integer(14));
  job.created_at = row.integer(15);
  job.started_at = row.optional_integer(16);
  job.finished_at = row.optional_integer(17);
  job.updated_at = row.integer(18);
  return job;
};

inline constexpr std::string_view kCrawlPageColumns =
    "job_id, url, depth, seq, done, outcome, reason, http_status, document_uri, referrer, listed_modified_at";
inline constexpr auto read_crawl_page = [](const auto& row) -> CrawlPage {
  CrawlPage page;
  page.job_id = row.text(0);
  page.url = row.text(1);
  page.depth = static_cast<int>(row.integer(2));
  page.seq = row.integer(3);
  page.done = row.integer(4) != 0;
  page.outcome = row.text(5);
  page.reason = row.text(6);
  page.http_status = static_cast<int>(row.integer(7));
  page.document_uri = row.text(8);
  page.referrer = row.text(9);
  page.listed_modified_at = row.optional_integer(10);
  return page;
};

inline std::string links_to_json(const std::vector<std::string>& links) { return Json(links).dump(); }

inline constexpr std::string_view kChunkColumns =
    "c.id, c.document_id, c.bot_id, c.ordinal, c.kind, c.title, c.heading_path, c.text, c.metadata, d.uri, d.title";
inline constexpr auto read_chunk = [](const auto& row) -> Chunk {
  Chunk chunk;
  chunk.id = row.integer(0);
  chunk.document_id = row.text(1);
  chunk.bot_id = row.text(2);
  chunk.ordinal = static_cast<int>(row.integer(3));
  chunk.kind = row.text(4) == "qa" ? ChunkKind::qa : ChunkKind::passage;
  chunk.title = row.text(5);
  chunk.heading_path = row.text(6);
  chunk.text = row.text(7);
  chunk.metadata = parse_json_column(row.text(8), Json::object());
  chunk.document_uri = row.text(9);
  chunk.document_title = row.text(10);
  return chunk;
};

inline constexpr std::string_view kConversationColumns =
    "id, workspace_id, bot_id, status, message_count, created_at, updated_at";
// kConversationColumns plus what lists show of a conversation (read_conversation reads these); for SELECTs from
// `conversations` (not aliased).
inline constexpr std::string_view kConversationSummaryColumns =
    "id, workspace_id, bot_id, status, message_count, created_at, updated_at, "
    "(SELECT m.text FROM messages m WHERE m.conversation_id = conversations.id AND m.role = 'user' ORDER BY m.id LIMIT 1), "
    "(SELECT count(*) FROM messages m WHERE m.conversation_id = conversations.id AND m.mode = 'fallback'), "
    "(SELECT count(*) FROM message_feedback f WHERE f.conversation_id = conversations.id AND f.rating = 1), "
    "(SELECT count(*) FROM message_feedback f WHERE f.conversation_id = conversations.id AND f.rating = -1), "
    "agent_id, agent_name, handoff_requested_at, handoff_reason, claim_deadline_at, handoff_notice_at, claimed_at, "
    "closed_at, summary, lead_id, test";
inline constexpr auto read_conversation = [](const auto& row) -> Conversation {
  Conversation conversation;
  conversation.id = row.text(0);
  conversation.workspace_id = row.text(1);
  conversation.bot_id = row.text(2);
  conversation.status = row.text(3);
  conversation.message_count = row.integer(4);
  conversation.created_at = row.integer(5);
  conversation.updated_at = row.integer(6);
  conversation.first_question = row.text(7);
  conversation.fallback_count = row.integer(8);
  conversation.thumbs_up = row.integer(9);
  conversation.thumbs_down = row.integer(10);
  conversation.agent_id = row.text(11);
  conversation.agent_name = row.text(12);
  conversation.handoff_requested_at = row.optional_integer(13);
  conversation.handoff_reason = row.text(14);
  conversation.claim_deadline_at = row.optional_integer(15);
  conversation.handoff_notice_at = row.optional_integer(16);
  conversation.claimed_at = row.optional_integer(17);
  conversation.closed_at = row.optional_integer(18);
  conversation.summary = row.text(19);
  conversation.lead_id = row.text(20);
  conversation.test = row.integer(21) != 0;
  return conversation;
};

inline constexpr std::string_view kMessageColumns =
    "id, conversation_id, role, text, mode, confidence, sources, latency_us, created_at, "
    "(SELECT f.rating FROM message_feedback f WHERE f.message_id = messages.id), author";
inline constexpr auto read_message = [](const auto& row) -> Message {
  Message message;
  message.id = row.integer(0);
  message.conversation_id = row.text(1);
  message.role = row.text(2);
  message.text = row.text(3);
  message.mode = row.text(4);
  message.confidence = row.real(5);
  message.sources = sources_from_json(parse_json_column(row.text(6), Json::array()));
  message.latency_us = row.integer(7);
  message.created_at = row.integer(8);
  message.rating = static_cast<int>(row.optional_integer(9).value_or(0));
  message.author = row.text(10);
  return message;
};

inline constexpr std::string_view kUserColumns = "id, workspace_id, email, name, password_hash, role, created_at";
inline constexpr std::string_view kAuditColumns = "workspace_id, seq, at, actor, action, target, before, after, prev_hash, hash";

inline constexpr auto read_audit_entry = [](const auto& row) -> AuditEntry {
  AuditEntry entry;
  entry.workspace_id = row.text(0);
  entry.seq = row.integer(1);
  entry.at = row.integer(2);
  entry.actor = row.text(3);
  entry.action = row.text(4);
  entry.target = row.text(5);
  entry.before = parse_json_column(row.text(6), nullptr);
  entry.after = parse_json_column(row.text(7), nullptr);
  entry.prev_hash = row.text(8);
  entry.hash = row.text(9);
  return entry;
};

inline constexpr auto read_user = [](const auto& row) -> User {
  User user;
  user.id = row.text(0);
  user.workspace_id = row.text(1);
  user.email = row.text(2);
  user.name = row.text(3);
  user.password_hash = row.text(4);
  user.role = parse_role(row.text(5)).value_or(Role::viewer);
  user.created_at = row.integer(6);
  return user;
};

inline constexpr std::string_view kLeadColumns =
    "id, workspace_id, bot_id, name, email, phone, company, fields, consent_text, consented_at, trigger, "
    "conversation_id, submissions, created_at, updated_at";
inline constexpr auto read_lead = [](const auto& row) -> Lead {
  Lead lead;
  lead.id = row.text(0);
  lead.workspace_id = row.text(1);
  lead.bot_id = row.text(2);
  lead.name = row.text(3);
  lead.email = row.text(4);
  lead.phone = row.text(5);
  lead.company = row.text(6);
  lead.fields = parse_json_column(row.text(7), Json::object());
  lead.consent_text = row.text(8);
  lead.consented_at = row.optional_integer(9);
  lead.trigger = row.text(10);
  lead.conversation_id = row.text(11);
  lead.submissions = row.integer(12);
  lead.created_at = row.integer(13);
  lead.updated_at = row.integer(14);
  return lead;
};

inline constexpr std::string_view kWebhookColumns =
    "id, workspace_id, COALESCE(bot_id, ''), url, events, format, secret, description, active, created_at, updated_at";
inline constexpr auto read_webhook = [](const auto& row) -> Webhook {
  Webhook webhook;
  webhook.id = row.text(0);
  webhook.workspace_id = row.text(1);
  webhook.bot_id = row.text(2);
  webhook.url = row.text(3);
  const Json events = parse_json_column(row.text(4), Json::array());
  for (const auto& event : events) {
    if (event.is_string()) webhook.events.push_back(event.get<std::string>());
  }
  webhook.format = row.text(5);
  webhook.secret = row.text(6);
  webhook.description = row.text(7);
  webhook.active = row.integer(8) != 0;
  webhook.created_at = row.integer(9);
  webhook.updated_at = row.integer(10);
  return webhook;
};

// For SELECTs from `deliveries d` (claims also join the webhook for its current URL and secret).
inline constexpr std::string_view kDeliveryColumns =
    "d.id, d.workspace_id, d.bot_id, d.channel, COALESCE(d.webhook_id, ''), d.target, d.format, d.event_id, "
    "d.event_type, d.payload, d.state, d.attempts, d.next_attempt_at, d.expires_at, d.lease_owner, d.lease_expires_at, "
    "d.last_status, d.last_error, d.created_at, d.delivered_at, d.request_id";
inline constexpr auto read_delivery = [](const auto& row) -> Delivery {
  Delivery delivery;
  delivery.id = row.integer(0);
  delivery.workspace_id = row.text(1);
  delivery.bot_id = row.text(2);
  delivery.channel = row.text(3);
  delivery.webhook_id = row.text(4);
  delivery.target = row.text(5);
  delivery.format = row.text(6);
  delivery.event_id = row.text(7);
  delivery.event_type = row.text(8);
  delivery.payload = row.text(9);
  delivery.state = row.text(10);
  delivery.attempts = static_cast<int>(row.integer(11));
  delivery.next_attempt_at = row.integer(12);
  delivery.expires_at = row.integer(13);
  delivery.lease_owner = row.text(14);
  delivery.lease_expires_at = row.integer(15);
  delivery.last_status = static_cast<int>(row.integer(16));
  delivery.last_error = row.text(17);
  delivery.created_at = row.integer(18);
  delivery.delivered_at = row.optional_integer(19);
  delivery.request_id = row.text(20);
  return delivery;
};

// A test case with its latest result (NULL result columns: never run).
inline constexpr std::string_view kEvalCaseColumns =
    "id, workspace_id, bot_id, question, expect_source, expect_text, expect_decline, created_at, last_passed, "
    "last_answer, last_mode, last_sources, last_run_at";
inline constexpr auto read_eval_case = [](const auto& row) -> EvalCase {
  EvalCase eval_case;
  eval_case.id = row.text(0);
  eval_case.workspace_id = row.text(1);
  eval_case.bot_id = row.text(2);
  eval_case.question = row.text(3);
  eval_case.expect_source = row.text(4);
  eval_case.expect_text = row.text(5);
  eval_case.expect_decline = row.integer(6) != 0;
  eval_case.created_at = row.integer(7);
  if (const auto passed = row.optional_integer(8)) {
    eval_case.last = EvalResult{*passed != 0, row.text(9), row.text(10),
                                sources_from_json(parse_json_column(row.text(11), Json::array())),
                                row.optional_integer(12).value_or(0)};
  }
  return eval_case;
};

}  // namespace parley::store
