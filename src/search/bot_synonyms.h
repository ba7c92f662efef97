// The synonyms a bot's owner declares in settings.synonyms: groups of words that the bot's visitors and its content
// use for the same thing ([["delivery", "shipping", "arrive"]]), where a general thesaurus cannot know it ("delivery"
// and "arrive" are no synonyms in English, but on a shop's help centre they ask the same question). Each word of a
// group stands for every other when a question is analysed (retriever.cpp). The setting is checked when it is saved
// (chat::validate_bot_settings).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/types.h"
#include "text/analyzer.h"

namespace parley::search {

class BotSynonyms {
 public:
  // Each word of each group analysed as the bot's content is: a word of one stem gives it, an identifier
  // ("e-bike") its joined form; a stop word or a word of several stems gives nothing.
  BotSynonyms(const store::Json& groups, const text::Analyzer& analyzer);

  // The stems declared the same as `stem`, without it (empty when none).
  const std::vector<std::string>& of(const std::string& stem) const;

 private:
  std::unordered_map<std::string, std::vector<std::string>> same_as_;
};

// The compiled synonyms of each bot, made again when the bot's setting or language changes. Thread-safe.
class BotSynonymCache {
 public:
  // Null when the bot declares none.
  std::shared_ptr<const BotSynonyms> get(const store::Bot& bot, const text::Analyzer& analyzer);

 private:
  struct Entry {
    std::string setting;  // the setting and language it was compiled from
    std::shared_ptr<const BotSynonyms> synonyms;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> by_bot_;
};

}  // namespace parley::search
