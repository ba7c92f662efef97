// Conversations of a bot, for the business: list (newest first, filtered as api/analytics_routes.cpp describes) and
// full transcripts.
#include "api/handlers.h"

namespace parley::api {

void register_conversation_routes(http::Router& router, ApiContext& context) {
  router.add("GET", "/api/v1/bots/{bot_id}/conversations", admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const store::ConversationFilter filter, conversation_filter(request));
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
             admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
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
