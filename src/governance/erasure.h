// Erasure of one person's data (right to be forgotten), by visitor or by email: their conversations with their
// messages, their leads, and the payloads of the deliveries that carried them (the delivery rows stay for the
// accounting of what was sent). The audit log records that an erasure happened, how it was asked for and the counts,
// never the erased data nor the email.
#pragma once

#include <string>

#include "common/result.h"
#include "store/store.h"

namespace parley::governance {

struct ErasureRequest {
  // A visitor's id: the id of their conversation, or the visitor token the widget keeps for it
  // ("<conversation id>.<expiry>.<signature>"), which names it.
  std::string visitor;
  std::string email;
};

// Checks the request (exactly one of visitor and email; an email address; a well-formed id) and erases in one
// transaction with its audit entry. Finding nothing is no error: the counts are zero (ErasureCounts::nothing()).
Result<store::ErasureCounts> erase_person(store::Store& store, const std::string& workspace_id,
                                          const ErasureRequest& request, const std::string& actor);

// {"conversations", "messages", "leads", "deliveries", "nothing_to_erase"}
store::Json erasure_json(const store::ErasureCounts& counts);

}  // namespace parley::governance
