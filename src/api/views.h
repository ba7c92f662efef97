// JSON views of store rows and answers: one place decides what the API shows of each.
#pragma once

#include <nlohmann/json.hpp>

#include "chat/answer.h"
#include "chat/generative.h"
#include "store/types.h"

namespace parley::api {

using Json = nlohmann::json;

Json bot_view(const store::Bot& bot);
Json source_view(const store::Source& source);
Json document_view(const store::Document& document);
Json conversation_view(const store::Conversation& conversation);
Json message_view(const store::Message& message);
Json citation_view(const chat::Citation& citation);
Json citations_view(const std::vector<chat::Citation>& citations);
// Which model wrote an answer, its usage, cost and the routing decisions.
Json generation_view(const chat::GenerationSummary& generation);
Json usage_view(const store::UsageRow& row);
Json job_view(const store::Job& job);
Json crawl_page_view(const store::CrawlPage& page);
// An account: never its password hash; `state` is "invited" until the person has chosen a password.
Json user_view(const store::User& user);
// An API key: its public prefix, never the secret or its hash.
Json key_view(const store::ApiKey& key);

}  // namespace parley::api
