#include "search/bot_synonyms.h"

#include <algorithm>

namespace parley::search {
namespace {

// Bots whose compiled synonyms are kept; past it the cache starts afresh (compiling is cheap, a few µs a word).
constexpr std::size_t kMaxCachedBots = 4'096;

std::string stem_of(const text::Analyzer& analyzer, const std::string& word) {
  const auto terms = analyzer.analyze(word);
  const auto joined = std::find_if(terms.begin(), terms.end(), [](const text::Term& term) { return term.derived; });
  if (joined != terms.end()) return joined->text;
  return terms.size() == 1 ? terms.front().text : std::string();
}

}  // namespace

BotSynonyms::BotSynonyms(const store::Json& groups, const text::Analyzer& analyzer) {
  if (!groups.is_array()) return;
  for (const auto& group : groups) {
    if (!group.is_array()) continue;
    std::vector<std::string> stems;
    for (const auto& word : group) {
      if (!word.is_string()) continue;
      std::string stem = stem_of(analyzer, word.get<std::string>());
      if (!stem.empty() && std::find(stems.begin(), stems.end(), stem) == stems.end()) stems.push_back(std::move(stem));
    }
    for (const auto& stem : stems) {
      auto& same = same_as_[stem];
      for (const auto& other : stems) {
        if (other != stem && std::find(same.begin(), same.end(), other) == same.end()) same.push_back(other);
      }
    }
  }
}

const std::vector<std::string>& BotSynonyms::of(const std::string& stem) const {
  static const std::vector<std::string> kNone;
  const auto it = same_as_.find(stem);
  return it == same_as_.end() ? kNone : it->second;
}

std::shared_ptr<const BotSynonyms> BotSynonymCache::get(const store::Bot& bot, const text::Analyzer& analyzer) {
  const auto groups = bot.settings.find("synonyms");
  if (groups == bot.settings.end() || !groups->is_array() || groups->empty()) return nullptr;
  std::string setting = analyzer.language() + '\n' + groups->dump();
  std::lock_guard lock(mutex_);
  auto it = by_bot_.find(bot.id);
  if (it != by_bot_.end() && it->second.setting == setting) return it->second.synonyms;
  if (it == by_bot_.end() && by_bot_.size() >= kMaxCachedBots) by_bot_.clear();
  auto synonyms = std::make_shared<const BotSynonyms>(*groups, analyzer);
  by_bot_[bot.id] = Entry{std::move(setting), synonyms};
  return synonyms;
}

}  // namespace parley::search
