#include "governance/erasure.h"

#include "audit/audit.h"

namespace parley::governance {
namespace {

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// The conversation id a visitor id or token names; ids are generated as [a-z0-9_].
Result<std::string> conversation_of(const std::string& visitor) {
  const std::string id = visitor.substr(0, visitor.find('.'));
  const bool well_formed = !id.empty() && id.size() <= 100 &&
                           id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
  if (!well_formed) {
    return make_error(ErrorCode::invalid_request,
                      "a visitor is named by their conversation's id (conv_...) or their visitor token");
  }
  return id;
}

}  // namespace

Result<store::ErasureCounts> erase_person(store::Store& store, const std::string& workspace_id,
                                          const ErasureRequest& request, const std::string& actor) {
  const std::string visitor = trimmed(request.visitor);
  const std::string email = trimmed(request.email);
  if (visitor.empty() == email.empty()) {
    return make_error(ErrorCode::invalid_request, "name either a visitor or an email, not both");
  }
  store::ErasureTarget target;
  if (!visitor.empty()) {
    PARLEY_ASSIGN_OR_RETURN(target.conversation_id, conversation_of(visitor));
  } else {
    const auto at = email.find('@');
    if (at == std::string::npos || at == 0 || at + 1 == email.size() || email.size() > 320) {
      return make_error(ErrorCode::invalid_request, "`" + email + "` is not an email address");
    }
    target.email = email;
  }
  store::ErasureCounts counts;
  PARLEY_TRY(store.write(store::Scope::workspace(workspace_id), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(counts, tx.erase_person(target));
    store::Json after = erasure_json(counts);
    after["by"] = visitor.empty() ? "email" : "visitor";
    return audit::record(tx, workspace_id, {actor, "data.erase", "", nullptr, after});
  }));
  return counts;
}

store::Json erasure_json(const store::ErasureCounts& counts) {
  return {{"conversations", counts.conversations},
          {"messages", counts.messages},
          {"leads", counts.leads},
          {"deliveries", counts.deliveries},
          {"nothing_to_erase", counts.nothing()}};
}

}  // namespace parley::governance
