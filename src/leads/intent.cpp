#include "leads/intent.h"

#include <map>
#include <mutex>

#include "text/analyzer.h"

namespace parley::leads {
namespace {

using Phrase = std::vector<std::string>;  // analysed terms, in order

struct PhraseLists {
  std::vector<std::string_view> person;
  std::vector<std::string_view> contact;
  std::vector<std::string_view> buying;
  std::vector<std::string_view> yes;
};

const PhraseLists& phrases_of(std::string_view language) {
  static const std::map<std::string, PhraseLists, std::less<>> lists = {
      {"en",
       {{"human", "humans", "real person", "live person", "talk to a person", "speak to a person", "speak with a person",
         "talk with a person", "talk to someone", "speak to someone", "speak with someone", "talk with someone",
         "live agent", "human agent", "talk to an agent", "speak to an agent", "representative", "operator",
         "customer service", "real people", "connect me with", "transfer me"},
        {"contact me", "call me", "call me back", "callback", "get in touch", "reach me", "email me", "get back to me",
         "leave my details", "leave my number", "leave my email", "contact sales", "talk to sales", "sales team"},
        {"price", "prices", "pricing", "quote", "quotation", "demo", "demonstration", "free trial", "buy", "purchase",
         "discount", "wholesale", "bulk order", "subscription", "how much does", "how much is", "cost"},
        {"yes", "yeah", "yep", "yes please", "sure", "ok", "okay", "please", "please do", "go ahead", "y"}}},
      {"de",
       {{"mensch", "menschen", "mitarbeiter", "mitarbeiterin", "echte person", "echten person", "kundenservice",
         "kundendienst", "berater", "beraterin", "mit jemandem sprechen", "mit jemandem reden", "persönlich sprechen"},
        {"rufen sie mich an", "kontaktieren sie mich", "rückruf", "melden sie sich", "schreiben sie mir"},
        {"preis", "preise", "kosten", "angebot", "demo", "kaufen", "rabatt", "was kostet"},
        {"ja", "ja bitte", "gerne", "ja gerne", "bitte", "ok", "okay", "klar"}}},
      {"fr",
       {{"humain", "une personne", "un conseiller", "une conseillère", "un agent", "parler à quelqu'un",
         "service client", "un vrai"},
        {"contactez-moi", "rappelez-moi", "me rappeler", "me contacter"},
        {"prix", "tarif", "tarifs", "devis", "démo", "acheter", "remise", "combien coûte"},
        {"oui", "oui merci", "d'accord", "volontiers", "ok"}}},
      {"es",
       {{"humano", "una persona", "un agente", "asesor", "hablar con alguien", "atención al cliente", "operador"},
        {"contáctame", "llámame", "contactarme", "llamarme"},
        {"precio", "precios", "cotización", "presupuesto", "demo", "comprar", "descuento", "cuánto cuesta"},
        {"sí", "si", "claro", "vale", "por favor", "ok"}}},
  };
  const auto it = lists.find(language);
  return it == lists.end() ? lists.find("en")->second : it->second;
}

struct AnalysedLists {
  std::vector<Phrase> person, contact, buying, yes;
};

std::vector<std::string> analyse(const text::Analyzer& analyzer, std::string_view text) {
  return analyzer.terms(text, {.keep_stop_words = true, .stem = true});
}

std::vector<Phrase> analyse_all(const text::Analyzer& analyzer, const std::vector<std::string_view>& phrases) {
  std::vector<Phrase> out;
  for (const auto phrase : phrases) {
    auto terms = analyse(analyzer, phrase);
    if (!terms.empty()) out.push_back(std::move(terms));
  }
  return out;
}

// The phrase lists of a language, analysed by that language's analyser; computed once.
const AnalysedLists& analysed(const std::string& language) {
  static std::mutex mutex;
  static std::map<std::string, AnalysedLists> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(language);
  if (it != cache.end()) return it->second;
  const text::Analyzer analyzer(language);
  const PhraseLists& lists = phrases_of(language);
  AnalysedLists out{analyse_all(analyzer, lists.person), analyse_all(analyzer, lists.contact),
                    analyse_all(analyzer, lists.buying), analyse_all(analyzer, lists.yes)};
  return cache.emplace(language, std::move(out)).first->second;
}

bool contains(const std::vector<std::string>& terms, const Phrase& phrase) {
  if (phrase.empty() || phrase.size() > terms.size()) return false;
  for (std::size_t start = 0; start + phrase.size() <= terms.size(); ++start) {
    bool match = true;
    for (std::size_t i = 0; i < phrase.size() && match; ++i) match = terms[start + i] == phrase[i];
    if (match) return true;
  }
  return false;
}

bool contains_any(const std::vector<std::string>& terms, const std::vector<Phrase>& phrases) {
  for (const auto& phrase : phrases) {
    if (contains(terms, phrase)) return true;
  }
  return false;
}

// A short message made of "yes" words only.
bool all_affirmative(const std::vector<std::string>& terms, const std::vector<Phrase>& yes) {
  if (terms.empty() || terms.size() > 4) return false;
  for (const auto& term : terms) {
    bool found = false;
    for (const auto& phrase : yes) found = found || (phrase.size() == 1 && phrase[0] == term);
    if (!found) return false;
  }
  return true;
}

void detect_in(const std::string& language, std::string_view message, Intent& intent) {
  const text::Analyzer analyzer(language);
  const auto terms = analyse(analyzer, message);
  const AnalysedLists& lists = analysed(language);
  intent.wants_person = intent.wants_person || contains_any(terms, lists.person);
  intent.wants_contact = intent.wants_contact || contains_any(terms, lists.contact);
  intent.buying = intent.buying || contains_any(terms, lists.buying);
  intent.affirmative = intent.affirmative || all_affirmative(terms, lists.yes);
}

}  // namespace

Intent detect_intent(std::string_view message, std::string_view language, const std::vector<std::string>& extra_person_phrases) {
  Intent intent;
  std::string primary(language.substr(0, language.find('-')));
  for (char& c : primary) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  detect_in(primary, message, intent);
  if (primary != "en") detect_in("en", message, intent);
  if (!extra_person_phrases.empty() && !intent.wants_person) {
    const text::Analyzer analyzer(primary);
    const auto terms = analyse(analyzer, message);
    for (const auto& phrase : extra_person_phrases) {
      if (contains(terms, analyse(analyzer, phrase))) {
        intent.wants_person = true;
        break;
      }
    }
  }
  return intent;
}

}  // namespace parley::leads
