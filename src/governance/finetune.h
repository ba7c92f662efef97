// The export of rated conversations for fine-tuning: JSON Lines in OpenAI's chat fine-tuning format, one line per
// conversation, {"messages": [{"role": "system", ...}, {"role": "user", ...}, {"role": "assistant", ...}, ...]}.
// A conversation goes in when a visitor gave one of its answers a thumbs up (with include_negative, a thumbs down
// too), up to its last rated answer. Answers rated down carry "weight": 0: kept as context, never learned from. The
// system message is the bot's persona and instructions. Personal data (guard/pii.h) is redacted unless redact is
// off; every export is audited, with whether it was redacted.
#pragma once

#include <string>

#include "common/result.h"
#include "store/store.h"

namespace parley::governance {

struct FinetuneOptions {
  bool include_negative = false;
  bool redact = true;
};

struct FinetuneExport {
  std::string jsonl;
  std::int64_t conversations = 0;  // lines
  std::int64_t answers = 0;        // assistant messages written
};

Result<FinetuneExport> export_finetune(store::Store& store, const std::string& workspace_id, const std::string& bot_id,
                                       const FinetuneOptions& options, const std::string& actor);

}  // namespace parley::governance
