// What a visitor's message asks for, beside an answer: a person, to be contacted, a price or a demo (buying
// intent), or just "yes". Phrases are matched on analysed terms (folded and stemmed by text::Analyzer in the bot's
// language), so "Can I speak to a human?", "talk to someone please" and "Ich möchte mit einem Mitarbeiter sprechen"
// are all found; English phrases are always tried as well, since many visitors write English anywhere.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace parley::leads {

struct Intent {
  bool wants_person = false;   // talk to a human
  bool wants_contact = false;  // be called / emailed back
  bool buying = false;         // prices, quotes, demos, buying
  bool affirmative = false;    // the whole message is a short "yes" ("yes please", "ja gerne", "oui")
};

// `extra_person_phrases`: the bot's own ways of asking for a person (settings.handoff.phrases).
Intent detect_intent(std::string_view message, std::string_view language,
                     const std::vector<std::string>& extra_person_phrases = {});

}  // namespace parley::leads
