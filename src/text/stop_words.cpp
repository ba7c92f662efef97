// Stop-word lists in folded form (lower case, no diacritics), sorted once for binary search.
#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "text/analyzer.h"

namespace parley::text {
namespace {

std::vector<std::string_view> sorted(std::vector<std::string_view> words) {
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  return words;
}

const std::map<std::string_view, std::vector<std::string_view>, std::less<>>& all_lists() {
  static const std::map<std::string_view, std::vector<std::string_view>, std::less<>> lists = {
      {"en", sorted({
          "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are",
          "arent", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
          "can", "cant", "cannot", "could", "couldnt", "did", "didnt", "do", "does", "doesnt", "doing", "dont",
          "down", "during", "each", "either", "else", "etc", "ever", "few", "for", "from", "further", "get", "gets",
          "got", "had", "hadnt", "has", "hasnt", "have", "havent", "having", "he", "hed", "hell", "her", "here",
          "hers", "herself", "hes", "hi", "hello", "him", "himself", "his", "how", "hows", "i", "id", "if", "ill",
          "im", "in", "into", "is", "isnt", "it", "its", "itself", "ive", "just", "lets", "me", "might", "more",
          "most", "much", "must", "mustnt", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once",
          "only", "or", "other", "ought", "our", "ours", "ourselves", "out", "over", "own", "please", "same",
          "shall", "shant", "she", "shed", "shell", "shes", "should", "shouldnt", "so", "some", "such", "than",
          "thank", "thanks", "that", "thats", "the", "their", "theirs", "them", "themselves", "then", "there",
          "theres", "these", "they", "theyd", "theyll", "theyre", "theyve", "this", "those", "through", "to",
          "too", "under", "until", "up", "us", "very", "was", "wasnt", "we", "wed", "well", "were", "werent",
          "weve", "what", "whats", "when", "whens", "where", "wheres", "whether", "which", "while", "who", "whom",
          "whos", "why", "whys", "will", "with", "wont", "would", "wouldnt", "yes", "you", "youd", "youll",
          "your", "youre", "yours", "yourself", "yourselves", "youve",
          // Words that frame a question rather than say what it is about ("is there anything like...", "do you
          // know if...", "in which ways..."): as content they match unrelated passages.
          "actually", "already", "anyone", "anything", "anywhere", "even", "everyone", "everything", "everywhere",
          "going", "know", "like", "lot", "lots", "many", "maybe", "perhaps", "really", "someone", "something",
          "somewhere", "still", "tell", "thing", "things", "way", "ways", "yet"})},
      {"de", sorted({
          "aber", "alle", "als", "also", "am", "an", "auch", "auf", "aus", "bei", "bin", "bis", "bist", "da",
          "damit", "dann", "das", "dass", "dein", "dem", "den", "der", "des", "die", "dies", "diese", "dir", "doch",
          "du", "durch", "ein", "eine", "einem", "einen", "einer", "eines", "er", "es", "euer", "fur", "hat",
          "hatte", "ich", "ihr", "im", "in", "ist", "ja", "kann", "mein", "mich", "mir", "mit", "nach", "nicht",
          "noch", "nur", "ob", "oder", "sein", "sich", "sie", "sind", "so", "uber", "um", "und", "uns", "unser",
          "von", "vor", "war", "was", "wenn", "wer", "wie", "wir", "wird", "wo", "zu", "zum", "zur"})},
      {"fr", sorted({
          "a", "au", "aux", "avec", "ce", "ces", "dans", "de", "des", "du", "elle", "en", "est", "et", "eux", "il",
          "ils", "je", "la", "le", "les", "leur", "lui", "ma", "mais", "me", "meme", "mes", "moi", "mon", "ne",
          "nos", "notre", "nous", "on", "ou", "par", "pas", "pour", "qu", "que", "qui", "sa", "se", "ses", "son",
          "sur", "ta", "te", "tes", "toi", "ton", "tu", "un", "une", "vos", "votre", "vous", "y"})},
      {"es", sorted({
          "a", "al", "algo", "como", "con", "de", "del", "el", "ella", "en", "es", "esta", "este", "esto", "ha",
          "hay", "la", "las", "le", "les", "lo", "los", "mas", "me", "mi", "muy", "no", "nos", "o", "para", "pero",
          "por", "que", "se", "si", "sin", "su", "sus", "te", "tu", "un", "una", "uno", "y", "ya", "yo"})},
  };
  return lists;
}

}  // namespace

const std::vector<std::string_view>& stop_words(std::string_view language) {
  const auto& lists = all_lists();
  const auto it = lists.find(language);
  return it == lists.end() ? lists.at("en") : it->second;
}

const std::unordered_set<std::string_view>& stop_word_set(std::string_view language) {
  static const auto sets = [] {
    std::map<std::string_view, std::unordered_set<std::string_view>, std::less<>> built;
    for (const auto& [code, words] : all_lists()) built.emplace(code, std::unordered_set<std::string_view>(words.begin(), words.end()));
    return built;
  }();
  const auto it = sets.find(language);
  return it == sets.end() ? sets.at("en") : it->second;
}

}  // namespace parley::text
