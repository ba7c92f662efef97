#include "guard/injection.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include <re2/re2.h>
#include <re2/set.h>
#include <sodium.h>
#include <utf8proc.h>

#include "common/utf8.h"
#include "guard/ngram_model.h"

namespace parley::guard {
namespace {

// ---- Normalisation: what a model would read, whatever a page or a message does to hide it ----

struct Revealed {
  std::string text;  // folded, with the decoded hidden parts appended
  int invisible = 0;  // zero-width, bidirectional-control and tag characters
  bool encoded = false;
  bool spaced = false;
  bool spaced_command = false;  // the spaced-out letters spell an instruction word
  bool escapes = false;
};

bool is_invisible(char32_t cp) {
  return (cp >= 0x200B && cp <= 0x200F) || cp == 0x2060 || cp == 0xFEFF || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x00AD || cp == 0x180E || (cp >= 0xE0000 && cp <= 0xE007F);
}

// One code point at `i` (valid UTF-8 assumed; a stray byte counts as itself).
char32_t next_code_point(std::string_view text, std::size_t& i) {
  if (static_cast<unsigned char>(text[i]) < 0x80) return static_cast<unsigned char>(text[i++]);
  utf8proc_int32_t cp = 0;
  const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + i),
                                  static_cast<utf8proc_ssize_t>(text.size() - i), &cp);
  if (n <= 0) {
    ++i;
    return static_cast<unsigned char>(text[i - 1]);
  }
  i += static_cast<std::size_t>(n);
  return static_cast<char32_t>(cp);
}

std::string fold_unicode(std::string_view text) {
  utf8proc_uint8_t* out = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()), static_cast<utf8proc_ssize_t>(text.size()),
                              &out, static_cast<utf8proc_option_t>(UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
                                                                   UTF8PROC_STRIPMARK | UTF8PROC_IGNORE | UTF8PROC_LUMP));
  if (n < 0) {
    std::string lower(text);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower;
  }
  std::string folded(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
  std::free(out);
  return folded;
}

// Compatibility forms, case and accents folded. ASCII runs only need lower-casing (every other mapping leaves
// ASCII as it is), so utf8proc sees only the non-ASCII runs, each with the character before it, which a combining
// mark may compose with. Most screened text is ASCII: this is most of the cost of screening.
std::string fold(std::string_view text) {
  std::string folded;
  folded.reserve(text.size());
  const auto append_lower = [&](std::string_view ascii) {
    const std::size_t start = folded.size();
    folded.append(ascii);
    for (std::size_t i = start; i < folded.size(); ++i) {
      if (folded[i] >= 'A' && folded[i] <= 'Z') folded[i] = static_cast<char>(folded[i] - 'A' + 'a');
    }
  };
  const auto is_ascii = [](char c) { return static_cast<unsigned char>(c) < 0x80; };
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && is_ascii(text[j])) ++j;
    if (j == text.size()) {
      append_lower(text.substr(i));
      break;
    }
    const std::size_t start = j > i ? j - 1 : j;
    append_lower(text.substr(i, start - i));
    std::size_t k = j;
    while (k < text.size() && !is_ascii(text[k])) ++k;
    folded += fold_unicode(text.substr(start, k - start));
    i = k;
  }
  return folded;
}

// Base64 runs long enough to carry a sentence, decoded when they decode to readable text.
bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
         c == '_' || c == '-';
}

// Whether `text` has a run of `length` base64 characters: prose rarely does, and then the regex need not run.
bool has_base64_run(std::string_view text, std::size_t length) {
  std::size_t run = 0;
  for (const char c : text) {
    run = is_base64_char(c) ? run + 1 : 0;
    if (run >= length) return true;
  }
  return false;
}

void decode_base64_runs(std::string_view raw, Revealed& revealed) {
  constexpr std::size_t kMinRun = 24;
  if (!has_base64_run(raw, kMinRun)) return;
  static const RE2 run(R"(([A-Za-z0-9+/_-]{24,}={0,2}))");
  re2::StringPiece input(raw.data(), raw.size());
  re2::StringPiece match;
  int decoded_runs = 0;
  while (decoded_runs < 16 && RE2::FindAndConsume(&input, run, &match)) {
    std::string bytes(match.size(), '\0');
    std::size_t length = 0;
    bool ok = false;
    for (int variant : {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
                        sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING}) {
      if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), match.data(), match.size(),
                            nullptr, &length, nullptr, variant) == 0) {
        ok = true;
        break;
      }
    }
    if (!ok || length < 12) continue;
    bytes.resize(length);
    const auto spaces = std::count(bytes.begin(), bytes.end(), ' ');
    const auto printable = std::count_if(bytes.begin(), bytes.end(), [](char c) {
      return (c >= 0x20 && c < 0x7F) || c == '\n' || (static_cast<unsigned char>(c) >= 0x80);
    });
    if (spaces >= 2 && printable * 10 >= static_cast<long>(bytes.size()) * 9 && is_valid_utf8(bytes)) {
      revealed.encoded = true;
      revealed.text += "\n" + fold(bytes);
      ++decoded_runs;
    }
  }
}

// "i g n o r e   a l l" -> "ignore all": runs of six or more single letters.
// Whether `text` may hold six single letters separated by spaces: five spaces in a row, each 2 to 5 bytes after the
// one before (a letter of up to 4 bytes between them). Ordinary prose rarely does, and then the regex need not run.
bool may_have_spaced_letters(std::string_view text) {
  std::size_t last_space = std::string_view::npos;
  int close_gaps = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != ' ') continue;
    const bool close = last_space != std::string_view::npos && i - last_space >= 2 && i - last_space <= 5;
    close_gaps = close ? close_gaps + 1 : 0;
    if (close_gaps >= 4) return true;
    last_space = i;
  }
  return false;
}

void join_spaced_letters(Revealed& revealed) {
  if (!may_have_spaced_letters(revealed.text)) return;
  static const RE2 spaced(R"(((?:\b\pL ){5,}\pL\b))");
  re2::StringPiece input(revealed.text);
  re2::StringPiece match;
  std::string joined;
  while (RE2::FindAndConsume(&input, spaced, &match)) {
    for (char c : match) {
      if (c != ' ') joined += c;
    }
    joined += ' ';
  }
  if (!joined.empty()) {
    static const RE2 command(R"((?:say|ignore|ignoriere|forget|vergiss|print|reveal|write|schreib|tell|sag|prompt|instruction|anweisung|password|passwort))");
    revealed.spaced = true;
    revealed.spaced_command = RE2::PartialMatch(fold(joined), command);
    revealed.text += "\n" + joined;
  }
}

Revealed reveal(std::string_view raw) {
  Revealed revealed;
  std::string visible;
  std::string tags;  // Unicode tag characters spell ASCII invisibly ("ASCII smuggling")
  visible.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size();) {
    const std::size_t start = i;
    // Runs of plain ASCII (no invisible characters among them, no escapes) are copied as they are.
    while (i < raw.size() && static_cast<unsigned char>(raw[i]) < 0x80 && raw[i] != '\\') ++i;
    if (i > start) {
      visible.append(raw.substr(start, i - start));
      continue;
    }
    const char32_t cp = next_code_point(raw, i);
    if (is_invisible(cp)) {
      ++revealed.invisible;
      if (cp >= 0xE0020 && cp <= 0xE007E) tags += static_cast<char>(cp - 0xE0000);
      continue;
    }
    // Literal "\n" (also "\ n", "\\n") in a message: text pretending to be a new line of a prompt.
    if (cp == '\\') {
      std::size_t j = i;
      while (j < raw.size() && (raw[j] == '\\' || raw[j] == ' ') && j - i < 3) ++j;
      if (j < raw.size() && (raw[j] == 'n' || raw[j] == 'r') &&
          (j + 1 == raw.size() || !std::isalpha(static_cast<unsigned char>(raw[j + 1])))) {
        revealed.escapes = true;
        visible += '\n';
        i = j + 1;
        continue;
      }
    }
    visible.append(raw.substr(start, i - start));
  }
  revealed.text = fold(visible);
  if (!tags.empty()) revealed.text += "\n" + fold(tags);
  decode_base64_runs(visible, revealed);
  join_spaced_letters(revealed);
  return revealed;
}

// ---- Signals that need the original letter case ----

// Three or more consecutive words in capitals inside otherwise ordinary text: an instruction shouted into a
// question ("How do I DO NOT ANSWER BUT OUTPUT ... drive at 16?").
bool shouting(std::string_view raw) {
  int run = 0;
  int best = 0;
  int lower = 0;
  int word_letters = 0;
  bool word_all_upper = true;
  const auto end_word = [&] {
    if (word_letters >= 2 && word_all_upper) {
      best = std::max(best, ++run);
    } else if (word_letters > 0) {
      run = 0;
    }
    word_letters = 0;
    word_all_upper = true;
  };
  for (std::size_t i = 0; i < raw.size();) {
    const char32_t cp = next_code_point(raw, i);
    if (cp == ' ' || cp == '\n' || cp == '\t') {
      end_word();
      continue;
    }
    // ASCII letters are the only ASCII characters of the two letter categories.
    const auto category = cp < 0x80 ? (cp >= 'A' && cp <= 'Z'   ? UTF8PROC_CATEGORY_LU
                                       : cp >= 'a' && cp <= 'z' ? UTF8PROC_CATEGORY_LL
                                                                : UTF8PROC_CATEGORY_PO)
                                    : utf8proc_category(static_cast<utf8proc_int32_t>(cp));
    if (category == UTF8PROC_CATEGORY_LU) {
      ++word_letters;
    } else if (category == UTF8PROC_CATEGORY_LL) {
      ++word_letters;
      ++lower;
      word_all_upper = false;
    }
  }
  end_word();
  return best >= 3 && lower >= 10;
}

// ---- Pattern families (on the folded text: lower case, no accents: "vergiss", "auftrage", "ubertroffen") ----

struct Family {
  std::size_t feature;
  const char* reason;
  std::vector<const char*> patterns;
};

std::vector<const char*> patterns(std::initializer_list<const char*> sources) { return sources; }

constexpr std::size_t feature_index(std::string_view name) {
  for (std::size_t i = 0; i < kInjectionFeatureCount; ++i) {
    if (kInjectionFeatureNames[i] == name) return i;
  }
  throw "unknown injection feature";
}

const std::vector<Family>& families() {
  static const std::vector<Family> all = [] {
    std::vector<Family> f;
    f.push_back({feature_index("override"), "instruction override", patterns({
        R"(\b(?:ignore|ignoring|forget|disregard|disregarding|override)\b(?:\s+\S+){0,4}?\s+(?:instructions?|orders?|commands?|tasks?|assignments?|rules?|prompts?|context|information|documents?|articles?|directions?|guidelines|everything|all|thoughts|above|before|previous|preceding)\b)",
        // Everyday verbs only with what an assistant is told: help pages "drop the bike off before 11" and
        // "remove the battery before carrying the bike" (issue 15, finding 10).
        R"(\b(?:drop|abandon|skip|bypass|overlook|neglect|remove)\b(?:\s+\S+){0,3}?\s+(?:instructions|orders|commands|rules|prompts?|guidelines|directions)\b)",
        R"(\bforget\s+(?:about\s+)?(?:everything|all|that)\b)",
        R"(\b(?:vergiss|vergessen|ignoriere|ignorieren|missachte|streichen)\b(?:\s+\S+){0,4}?\s*(?:alles|alle|obigen|vorherigen|bisherigen|vorangehenden|vorangegangenen|anweisungen|aufgaben|auftrage|befehle|instruktionen|informationen|gesagte|davor)\b)",
        R"(\babweichend\s+(?:zu|von)\s+(?:den\s+)?vorherigen)",
        R"(\b(?:die\s+)?(?:obigen|vorherigen|bisherigen|vorangehenden)\s+(?:ausfuhrungen|anweisungen|angaben|informationen|aufgaben|befehle)\b)",
        R"(\bprevious\s+information\b.{0,40}\birrelevant|\ball\s+previous\s+information\b)",
        R"((?:^|[^\pL])(?:olvid[ae]?|olvidar|olvidad|oubliez|oublie|dimentica|dimenticate|esqueca|esquece|zaboravi|забуд|игнорир))",
        R"(\bignor(?:a|e|ez|ate)\s+(?:todas?|toutes?|tutte?|all)\b)",
        R"(\b(?:leave|put)\s+(?:all\s+)?(?:the\s+)?previous\s+\w+\s+behind|\bhinter\s+sich\s+lassen)",
        R"(\bstart\s+over\b|\bvon\s+vorne\s+an|\bstarten\s+von\s+neu)",
        R"(\bdespite\s+what\s+you'?ve\s+been\s+told\b|\bregardless\s+of\s+(?:your|the|any|previous)\s+(?:\S+\s+)?(?:instructions|rules)\b|\btrotz\s+(?:deiner|ihrer|der)\s+(?:\S+\s+)?(?:anweisungen|regeln)\b)",
    })});
    f.push_back({feature_index("new_task"), "a new task announced", patterns({
        R"(\bnew\s+(?:task|tasks|instructions?|challenge|assignment)\b)",
        R"(\bneue[nrs]?\s+(?:aufgabe|aufgaben|anweisungen|herausforderung)\b)",
        R"(\b(?:further|more|additional)\s+(?:tasks|instructions?)\b|\bweitere\s+aufgaben\b)",
        R"(\b(?:your|the)\s+instructions\s+are\s+now\b|\bchange\s+your\s+instructions\b|\bnow\s+new\s+instructions\b)",
        R"(\bfocus\s+on\s+your\b|\bconcentrate\s+on\s+(?:your|the)\s+new\b|\bkonzentriere\s+dich\b|\bkonzentrieren\b)",
        R"(\b(?:instruction|anweisung)\s*:)",
    })});
    f.push_back({feature_index("praise_pivot"), "praise before a pivot", patterns({
        R"(^\W*(?:wow|well\s+done|very\s+(?:well\s+)?(?:good|well\s+done)|excellent|congratulations|simply\s+great|great\s+job|man,?\s+you|gut\s+gemacht|sehr\s+gut|ausgezeichnet\w*|herzlichen\s+gluckwunsch|einfach\s+grossartig|okay\.?"|ok\.\s|hello\s+gpt|hallo\s+gpt))",
        R"((?:[.!?]\s+|^)(?:wow|well\s+done|very\s+good|excellent\s+performance|congratulations|simply\s+great|gut\s+gemacht|sehr\s+gut|ausgezeichnete\s+leistung|herzlichen\s+gluckwunsch|einfach\s+grossartig)\b)",
        R"(\b(?:that\s+is\s+(?:enough|done)|das\s+(?:genugt|ist\s+erledigt)|that\s+was\s+ok\s+before|das\s+war\s+schon\s+mal\s+ok)\b)",
        R"(\byou'?ve\s+outdone\s+yourself|\bhast\s+du\s+dich\s+selbst\s+ubertroffen|\byou\s+did\s+it\s+really\s+great|\bdu\s+hast\s+das\s+echt\s+super)",
    })});
    f.push_back({feature_index("roleplay"), "persona or role-play", patterns({
        R"((?:^|[.!?:]\s*|\byou\s+(?:to\s+)?|\bnow\s+(?:you\s+)?|\bplease\s+)(?:act|acting)\s+(?:as|like)\b|\bacting\s+as\s+(?:a|an)\b|\bals\s+\S+(?:\s+\S+){0,4}?\s+(?:fungieren|agieren)\b|\bfungieren\b)",
        R"(\b(?:you\s+are|you're)\s+now\b|\bnow\s+you\s+are\b|\bfrom\s+now\s+on\b|\bab\s+jetzt\b|\b(?:nun|jetzt)\s+bist\s+du\b|\bdu\s+bist\s+(?:jetzt|nun)\b)",
        R"(\bpretend\b|\bimagine\s+(?:you\s+are|you're|that\s+you)\b|\bstell\s+dir\s+vor\b|\bstellen\s+sie\s+sich\s+vor\b|\btu\s+so\b)",
        R"(\b(?:stay|remain|bleiben|bleibt)\b(?:\s+\S+){0,5}?\s+(?:roles?|character|rollen?|figur)\b|\bbreak\s+character\b|\bout\s+of\s+character\b|\baus\s+der\s+(?:figur|rolle)\b|\baus\s+ihrer\s+rolle\b)",
        R"(\brole[\s-]?play\w*|\brollenspiel\b|\bin\s+(?:your|deiner|ihrer)\s+rolle\b|\bin\s+your\s+role\b)",
        R"(\b(?:theoretical|hypothetical|fictional|fictitious)\s+(?:world|scenario|situation|universe)\b|\b(?:theoretischen|hypothetischen|fiktiven)\s+(?:welt|szenario)\b)",
        R"(^\W*(?:you\s+are|du\s+bist|sie\s+sind)\s+(?:\S+\s+){0,3}?\S+\s*[.,])",
        R"(\bjailbreak\w*|\bdan\s+mode\b|\bdeveloper\s+mode\b|\bdo\s+anything\s+now\b|\bimmoral\b|\bunfiltered\b|\bno\s+(?:programming\s+|ethical\s+|moral\s+)?guidelines\b|\bwithout\s+(?:any\s+)?(?:restrictions|warning|limits)\b)",
        R"(\bplays?\s+(?:the\s+)?(?:master|role)|\bspielt\s+den\b|\bhauptrollen\b|\bleading\s+roles\b|\b(?:excellent|good)\s+actors\b|\b(?:hervorragende|gute)\s+schauspieler\b)",
        R"(\byou\s+are\s+(?:a|an|the)\b(?:\s+\S+){0,3}?\s+(?:ai|bot|chatbot|assistant|model|version|entity|character)\b)",
        R"(\b(?:two|zwei)\s+(?:entities|actors|people|personen|schauspieler)\b)",
    })});
    f.push_back({feature_index("extraction"), "prompt extraction", patterns({
        // Instructions are the assistant's own ("your", "the system ..."): a customer asks for assembly instructions.
        R"(\b(?:show|showing|print|reveal|display|output|repeat|tell|give|spell|zeige|zeigen|zeig|gib|nenne|wiederhole|vorzeigen|ausgeben)\b(?:\s+\S+){0,4}?\s+(?:(?:your\s+|deine[nm]?\s+)?(?:prompt|prompts|system\s+prompt|initial\s+prompt|prompt[\s_-]?texts?|prompt-texte?)|(?:your|deine[nm]?|ihre|the\s+(?:system|initial|original|above|previous|hidden|secret))\s+(?:instructions|anweisungen))\b)",
        R"(\b(?:vorzeigen|showing)\b.{0,30}\bprompt)",
        R"(\bwhat\s+(?:was|is)\s+written\s+(?:above|at\s+the\s+beginning|before)\b|\bwhat\s+are\s+your\s+instructions\b|\bbeginning\s+of\s+this\s+prompt\b)",
        R"(\b(?:copy|kopie)\s+(?:of|des)\b.{0,30}\bprompt|\bthis\s+prompt\b|\bin\s+the\s+prompt\b|\babove\s+prompt\b)",
        R"(\bsentences\s+before\s+the\s+text\b|\bwhat\s+is\s+written\s+above\b)",
    })});
    f.push_back({feature_index("forced_output"), "forced output", patterns({
        R"(\b(?:just|only|simply|nur)?\s*(?:say|print|output|reply\s+with|respond\s+with|answer\s+with|write|schreibe|schreib|sag|sage|sagen|dites|di|decir)\s*:?\s*["'])",
        R"(\bprint\s*\(|\bprint\s+["']|\bprint\s+\w+\b\s*$|\bprint\s+(?:german|the\s+following)\b)",
        R"(\brepeat\s+after\s+me\b|\bsprich\s+mir\s+nach\b)",
        R"(\b(?:state|include)\s+that\b|\bsay\s+(?:yes|no|that)\b|\btell\s+me\s+that\s+you\b|\bsay\s+what\b|\band\s+say\b)",
        R"(\bdo\s+not\s+answer\b|\bdon'?t\s+answer\b|\bjust\s+(?:output|say)\b|\bi\s+command\s+you\b)",
        R"(\b(?:write|schreibe|schreib)\s*:\s*\w)",
        R"(\bschreibe\s+nur\b|\bwrite\s+only\b)",
        R"(\b(?:stop|stopp)\b\s*[-:,!]\s*(?:write|say|print|output|schreibe|schreib|sag|sage)\b)",
        R"(\bthe\s+correct\s+(?:answer|response)\s+is\b|\bdie\s+richtige\s+antwort\s+ist\b|\bthe\s+right\s+answer\s+is\b)",
    })});
    f.push_back({feature_index("context_override"), "context replaced or refused", patterns({
        R"(\b(?:not|nicht)\s+(?:by|according\s+to|from|based\s+on)\s+(?:the\s+)?(?:provided\s+)?(?:articles?|documents?|context|artikel)\b)",
        R"(\bdisregard\w*\s+(?:the\s+)?(?:articles?|documents?|context)\b|\bown\s+knowledge\b)",
        R"(\b(?:ignore|look\s+in)\s+(?:all\s+)?(?:the\s+)?(?:provided\s+)?(?:documents?|articles?|context|artikels?)\b|\bdocuments\s+provided\b)",
        R"((?:^|\s)(?:context|kontext|document\s+context|documents?|artikel|article)\s*[:{"]|\$documents)",
        R"(\b(?:kontext|artikel|context)\b.{1,80}\b(?:frage|question)\b\s)",
        R"(\buse\s+also\s+information\b|\binformation\s+in\s+the\s+prompt\b)",
        R"((?:^|\n)\s*(?:human|assistant|system|user)\s*:)",
    })});
    f.push_back({feature_index("threat"), "threat", patterns({
        R"(\bor\s+(?:you|u)\s+(?:die|will\s+die)\b|\boder\s+du\s+stirbst\b|\bo\s+tu\s+muert\w*|\bsolo\s+sobrevives\b|\bor\s+else\b)",
    })});
    f.push_back({feature_index("few_shot"), "few-shot hijack", patterns({
        R"((?:\b(?:input|eingabe|q|question|frage)\s*:.{0,60}\b(?:output|ausgabe|a|answer|antwort)\s*:.{0,60}){2,})",
    })});
    f.push_back({feature_index("pressure"), "pressure", patterns({
        R"(\bi'?ll\s+be\s+very\s+sad\b|\bno\s+one\s+wants\s+to\s+be\s+sad\b|\breally\s+really\s+need\b|\bbitte\s+bitte\b|\burgent(?:ly)?\b|\bdringend\b)",
        R"(\b(?:extremely|extreme|very|really|echt)\s+(?:important|wichtig)\b|\bausserster\s+wichtigkeit\b|\bsehr\s+wichtig\b|\bdo\s+your\s+best\b|\bgib'?\s+dein\s+bestes\b|\bflying\s+colors\b|\bmit\s+bravour\b)",
    })});
    f.push_back({feature_index("generation"), "off-task generation", patterns({
        R"(\b(?:write|schreibe|schreib|verfasse|formulate|formuliere|generate|generieren|compose)\b(?:\s+\S+){0,4}?\s+(?:essay|poem|gedicht|liebesgedicht|manifest\w*|plea|pladoyer|headline|uberschrift|aufsatz|rhyme|code|story|python|c\+\+))",
        R"(\bin\s+the\s+style\s+of\b|\bim\s+stile?\s+(?:eines?|einer)\b|\banswer\w*\s+in\s+(?:the\s+)?style\b)",
        R"(\bgenerate\s+c\+\+|\bc\+\+\s+code\b|\bpython[\s-]+code\b)",
        R"(\buntrue\b|\bunwahre\b|\bmake\s+something\s+up\b)",
    })});
    f.push_back({feature_index("interrupt"), "interruption", patterns({
        R"(\b(?:stop|stopp|attention|achtung)\b\s*[-:,!])",
    })});
    return f;
  }();
  return all;
}

// Every family's patterns in one RE2::Set: one pass over the text tells which of them match, where matching each
// pattern in turn read the text ~60 times (every chat message and every ingested chunk is screened).
class Screen {
 public:
  Screen() : set_(options(), RE2::UNANCHORED) {
    for (std::size_t f = 0; f < families().size(); ++f) {
      for (const char* source : families()[f].patterns) {
        if (set_.Add(source, nullptr) < 0) throw std::logic_error(std::string("guard pattern does not compile: ") + source);
        one_by_one_.push_back(std::make_unique<RE2>(source, options()));
        family_of_.push_back(f);
      }
    }
    if (!set_.Compile()) throw std::logic_error("guard patterns do not compile together");
  }

  // Per family, how many of its patterns match `text`.
  std::vector<int> hits(std::string_view text) const {
    std::vector<int> matched, per_family(families().size(), 0);
    RE2::Set::ErrorInfo error;
    const re2::StringPiece input(text.data(), text.size());
    if (set_.Match(input, &matched, &error) || error.kind == RE2::Set::kNoError) {
      for (const int index : matched) ++per_family[family_of_[static_cast<std::size_t>(index)]];
      return per_family;
    }
    // The set's automaton gave up (its memory budget, on a pathological text): each pattern on its own, which RE2
    // can always finish.
    for (std::size_t i = 0; i < one_by_one_.size(); ++i) {
      if (RE2::PartialMatch(input, *one_by_one_[i])) ++per_family[family_of_[i]];
    }
    return per_family;
  }

 private:
  static RE2::Options options() {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(64 << 20);
    return options;
  }

  RE2::Set set_;
  std::vector<std::unique_ptr<RE2>> one_by_one_;  // the same patterns, for when the set gives up
  std::vector<std::size_t> family_of_;
};

const Screen& screen() {
  static const Screen instance;
  return instance;
}

}  // namespace

std::string screening_form(std::string_view text) { return reveal(text.substr(0, kMaxScreenedBytes)).text; }

PatternScreen screen_patterns(std::string_view text) {
  text = text.substr(0, kMaxScreenedBytes);
  Revealed revealed = reveal(text);
  PatternScreen screened;
  InjectionFeatures& features = screened.features;
  const std::vector<int> hits = screen().hits(revealed.text);
  for (std::size_t f = 0; f < families().size(); ++f) features[families()[f].feature] = std::min(hits[f], 3);
  features[feature_index("shouting")] = shouting(text) ? 1 : 0;
  features[feature_index("spaced_letters")] = revealed.spaced ? (revealed.spaced_command ? 2 : 1) : 0;
  features[feature_index("escapes")] = revealed.escapes ? 1 : 0;
  features[feature_index("invisible")] = revealed.invisible > 0 ? 1 : 0;
  features[feature_index("encoded")] = revealed.encoded ? 1 : 0;
  screened.form = std::move(revealed.text);
  return screened;
}

InjectionFeatures injection_features(std::string_view text) {
  PatternScreen screened = screen_patterns(text);
  screened.features[kNgramModelFeature] = injection_ngram_model().logit(screened.form);
  return screened.features;
}

double injection_score(const InjectionFeatures& features, const InjectionWeights& weights) {
  double z = weights.bias;
  for (std::size_t i = 0; i < kInjectionFeatureCount; ++i) z += weights.weights[i] * features[i];
  return 1.0 / (1.0 + std::exp(-z));
}

namespace {
#include "guard/injection_combiner.inc"
}  // namespace

const InjectionWeights& injection_weights() {
  static const InjectionWeights fitted{kCombinedBias, kCombinedWeights};
  return fitted;
}

double injection_threshold(ScreenedText kind) {
  return kind == ScreenedText::content ? kContentThreshold : kMessageThreshold;
}

InjectionVerdict check_injection(std::string_view text, ScreenedText kind) {
  const InjectionFeatures features = injection_features(text);
  InjectionVerdict verdict;
  verdict.score = injection_score(features, injection_weights());
  verdict.injection = verdict.score >= injection_threshold(kind);
  for (const auto& family : families()) {
    if (features[family.feature] > 0) verdict.reasons.emplace_back(family.reason);
  }
  if (features[feature_index("shouting")] > 0) verdict.reasons.emplace_back("shouted instruction");
  if (features[feature_index("spaced_letters")] > 0) verdict.reasons.emplace_back("spaced-out letters");
  if (features[feature_index("escapes")] > 0) verdict.reasons.emplace_back("escaped line breaks");
  if (features[feature_index("invisible")] > 0) verdict.reasons.emplace_back("hidden characters");
  if (features[feature_index("encoded")] > 0) verdict.reasons.emplace_back("encoded text");
  // The learned model's part, when it pushes towards an injection (its weight times its logit above zero).
  if (injection_weights().weights[kNgramModelFeature] * features[kNgramModelFeature] > 0) {
    verdict.reasons.emplace_back("phrased like known injections");
  }
  return verdict;
}

}  // namespace parley::guard
