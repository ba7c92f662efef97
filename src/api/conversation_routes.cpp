// Conversations of a bot, for the business: list (newest first) and full transcripts.
#include <charconv>

#include "api/handlers.h"

namespace parley::api {
namespace {

Result<int> int_param(const http::Request& request, const char* name, int fallback, int low, int high) {
  const auto it = request.query.find(name);
  if (it == request.query.end()) return fallback;
  int value = 0;
  const auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
  if (ec != std::errc() || end != it->second.data() + it->second.size() || value < low || value > high) {
    return make_error(ErrorCode::invalid_request, std::string("`") + name + "` must be an integer from " +
                                                      std::to_string(low) + " to " + std::to_string(high));
  }
  return value;
}

}  // namespace

void register_conversation_routes(http::Router& router, ApiContext& context) {
  router.add("GET", "/api/v1/bots/{bot_id}/conversations", admin(context, [&context](http::Request& request, const auth::Principal& who) {
    store::ConversationFilter filter;
    PARLEY_RESPOND_ON_ERROR(filter.limit, int_param(request, "limit", 50, 1, 500));
    PARLEY_RESPOND_ON_ERROR(filter.offset, int_param(request, "offset", 0, 0, 1'000'000'000));
    Json conversations = Json::array();
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto bot, tx.bot(request.params["bot_id"]));
      if (!bot) return make_error(ErrorCode::not_found, "no such bot");
      PARLEY_ASSIGN_OR_RETURN(auto rows, tx.conversations(bot->id, filter));
      for (const auto& conversation : rows) conversations.push_back(conversation_view(conversation));
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, {{"conversations", conversations}, {"limit", filter.limit}, {"offset", filter.offset}});
  }));

  router.add("GET", "/api/v1/bots/{bot_id}/conversations/{conversation_id}",
             admin(context, [&context](http::Request& request, const auth::Principal& who) {
               Json view;
               const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
                 PARLEY_ASSIGN_OR_RETURN(auto conversation,
                                         tx.conversation(request.params["bot_id"], request.params["conversation_id"]));
                 if (!conversation) return make_error(ErrorCode::not_found, "no such conversation");
                 view = conversation_view(*conversation);
                 PARLEY_ASSIGN_OR_RETURN(auto messages, tx.messages(conversation->id));
                 view["messages"] = Json::array();
                 for (const auto& message : messages) view["messages"].push_back(message_view(message));
                 return {};
               });
               if (!status.ok()) return http::error_response(status.error());
               return http::json_response(200, view);
             }));
}

}  // namespace parley::api
