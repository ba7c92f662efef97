// JSON views of store rows and answers: one place decides what the API shows of each.
#pragma once

#include <nlohmann/json.hpp>

#include "chat/answer.h"
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

}  // namespace parley::api
