#include "governance/finetune.h"

#include <set>

#include "audit/audit.h"
#include "guard/pii.h"

namespace parley::governance {
namespace {

constexpr int kPage = 500;

std::string system_message(const store::Bot& bot) {
  std::string text = "You are " + bot.name + ", an assistant that answers from its knowledge and cites its sources.";
  for (const char* key : {"persona", "instructions"}) {
    const auto found = bot.settings.find(key);
    if (found != bot.settings.end() && found->is_string() && !found->get<std::string>().empty()) {
      text += "\n" + found->get<std::string>();
    }
  }
  return text;
}

// The conversation as one example, up to its last answer rated as wanted; nullopt when it has none.
std::optional<store::Json> example(const std::string& system, const std::vector<store::Message>& messages,
                                   const FinetuneOptions& options, std::int64_t& answers) {
  std::size_t end = 0;  // one past the last rated answer to keep
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const int rating = messages[i].rating;
    if (rating == 1 || (rating == -1 && options.include_negative)) end = i + 1;
  }
  if (end == 0) return std::nullopt;
  store::Json lines = store::Json::array();
  lines.push_back({{"role", "system"}, {"content", system}});
  for (std::size_t i = 0; i < end; ++i) {
    const auto& message = messages[i];
    // A person's reply (handoff) is as much a model answer as the bot's; system notes are not conversation.
    const bool answer = message.role == "assistant" || message.role == "agent";
    if ((!answer && message.role != "user") || message.text.empty()) continue;
    store::Json line = {{"role", answer ? "assistant" : "user"},
                        {"content", options.redact ? guard::redact_pii(message.text) : message.text}};
    if (answer && message.rating == -1) line["weight"] = 0;
    if (answer) ++answers;
    lines.push_back(std::move(line));
  }
  return store::Json{{"messages", std::move(lines)}};
}

}  // namespace

Result<FinetuneExport> export_finetune(store::Store& store, const std::string& workspace_id, const std::string& bot_id,
                                       const FinetuneOptions& options, const std::string& actor) {
  FinetuneExport exported;
  const auto scope = store::Scope::workspace(workspace_id);
  PARLEY_TRY(store.read(scope, [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(const auto bot, tx.bot(bot_id));
    if (!bot) return make_error(ErrorCode::not_found, "no such bot");
    const std::string system = system_message(*bot);
    std::set<std::string> seen;  // a conversation rated both ways is found by both passes
    for (const int rating : {1, -1}) {
      if (rating == -1 && !options.include_negative) break;
      store::ConversationFilter filter;
      filter.rating = rating;
      filter.limit = kPage;
      for (;; filter.offset += kPage) {
        PARLEY_ASSIGN_OR_RETURN(const auto page, tx.conversations(bot_id, filter));
        for (const auto& conversation : page) {
          if (!seen.insert(conversation.id).second) continue;
          PARLEY_ASSIGN_OR_RETURN(const auto messages, tx.messages(conversation.id));
          if (auto line = example(system, messages, options, exported.answers)) {
            exported.jsonl += line->dump() + "\n";
            ++exported.conversations;
          }
        }
        if (static_cast<int>(page.size()) < kPage) break;
      }
    }
    return {};
  }));
  PARLEY_TRY(store.write(scope, [&](store::WriteTx& tx) -> Status {
    return audit::record(tx, workspace_id,
                         {actor, "conversations.export_finetune", bot_id, nullptr,
                          {{"redacted", options.redact},
                           {"include_negative", options.include_negative},
                           {"conversations", exported.conversations}}});
  }));
  return exported;
}

}  // namespace parley::governance
