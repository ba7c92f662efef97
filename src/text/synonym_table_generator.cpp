// Build-time tool: turns the WordNet database (Debian package wordnet-base) into the compact English synonym table
// compiled into parley_text, so that nothing reads WordNet at run time.
//
// Usage: parley_synonym_table_generator WORDNET_DIR OUTPUT.inc
//
// For every common single-word lemma (one that occurs in WordNet's sense-tagged corpus) it takes the lemma's most
// frequent senses and collects the other single-word members of those synsets. Words and synonyms are stored as
// English Snowball stems, the form the analyzer gives, so the table is looked up with a query term directly.
// Rare senses and very large synsets are left out: they mostly add noise ("take" as a synonym of "remove").
// Irregular noun and verb forms (WordNet's exception lists: "children" of "child", "went" of "go"), which the
// stemmer cannot relate to their base, are added as synonyms of the base and share its synonyms.
#include <libstemmer.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kMaxSensesPerLemma = 2;
constexpr std::size_t kMaxSynsetMembers = 12;

const char* const kParts[] = {"noun", "verb", "adj", "adv"};

bool is_plain_word(const std::string& word) {
  if (word.size() < 2) return false;
  return std::all_of(word.begin(), word.end(), [](unsigned char c) { return c >= 'a' && c <= 'z'; });
}

// "word(a)" (adjective markers) -> "word", lower case.
std::string clean_lemma(std::string word) {
  const auto paren = word.find('(');
  if (paren != std::string::npos) word.resize(paren);
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return word;
}

class Stemmer {
 public:
  Stemmer() : stemmer_(sb_stemmer_new("english", "UTF_8")) {}
  ~Stemmer() { sb_stemmer_delete(stemmer_); }
  Stemmer(const Stemmer&) = delete;
  Stemmer& operator=(const Stemmer&) = delete;
  std::string operator()(const std::string& word) {
    const sb_symbol* stemmed =
        sb_stemmer_stem(stemmer_, reinterpret_cast<const sb_symbol*>(word.data()), static_cast<int>(word.size()));
    return std::string(reinterpret_cast<const char*>(stemmed), static_cast<std::size_t>(sb_stemmer_length(stemmer_)));
  }

 private:
  sb_stemmer* stemmer_;
};

// Synset offset -> its single-word members, for one part of speech.
std::map<std::string, std::vector<std::string>> read_synsets(const std::string& path) {
  std::map<std::string, std::vector<std::string>> synsets;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == ' ') continue;  // licence header
    std::istringstream fields(line);
    std::string offset, lex_file, type, count_hex;
    fields >> offset >> lex_file >> type >> count_hex;
    const unsigned long count = std::stoul(count_hex, nullptr, 16);
    std::vector<std::string> members;
    for (unsigned long i = 0; i < count; ++i) {
      std::string word, lex_id;
      fields >> word >> lex_id;
      members.push_back(clean_lemma(word));
    }
    synsets.emplace(offset, std::move(members));
  }
  return synsets;
}

// Base stem -> stems of its irregular forms, from the exception lists of nouns and verbs.
std::map<std::string, std::set<std::string>> read_irregular_forms(const std::string& dir, Stemmer& stem) {
  std::map<std::string, std::set<std::string>> forms;
  for (const char* part : {"noun", "verb"}) {
    std::ifstream in(dir + "/" + part + ".exc");
    for (std::string line; std::getline(in, line);) {
      std::istringstream fields(line);
      std::string inflected, base;
      fields >> inflected;
      if (!is_plain_word(inflected)) continue;
      const std::string inflected_stem = stem(inflected);
      while (fields >> base) {
        if (!is_plain_word(base)) continue;
        std::string base_stem = stem(base);
        if (base_stem != inflected_stem) forms[std::move(base_stem)].insert(inflected_stem);
      }
    }
  }
  return forms;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: " << argv[0] << " WORDNET_DIR OUTPUT.inc\n";
    return 2;
  }
  const std::string dir = argv[1];
  Stemmer stem;
  std::map<std::string, std::set<std::string>> synonyms;  // stem -> synonym stems
  for (const char* part : kParts) {
    const auto synsets = read_synsets(dir + "/data." + part);
    if (synsets.empty()) {
      std::cerr << "cannot read " << dir << "/data." << part << " (install the Debian package wordnet-base)\n";
      return 1;
    }
    std::ifstream index(dir + "/index." + part);
    for (std::string line; std::getline(index, line);) {
      if (line.empty() || line[0] == ' ') continue;
      // lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...
      std::istringstream fields(line);
      std::string lemma, pos;
      std::size_t synset_count = 0, pointer_count = 0, sense_count = 0, tagged_senses = 0;
      fields >> lemma >> pos >> synset_count >> pointer_count;
      for (std::size_t i = 0; i < pointer_count; ++i) {
        std::string pointer;
        fields >> pointer;
      }
      fields >> sense_count >> tagged_senses;
      if (!is_plain_word(lemma) || tagged_senses == 0) continue;
      const std::string lemma_stem = stem(lemma);
      const std::size_t senses = std::min({synset_count, tagged_senses, kMaxSensesPerLemma});
      for (std::size_t i = 0; i < senses; ++i) {
        std::string offset;
        fields >> offset;
        const auto it = synsets.find(offset);
        if (it == synsets.end() || it->second.size() > kMaxSynsetMembers) continue;
        for (const auto& member : it->second) {
          if (!is_plain_word(member)) continue;
          std::string member_stem = stem(member);
          if (member_stem != lemma_stem) synonyms[lemma_stem].insert(std::move(member_stem));
        }
      }
    }
  }
  const auto irregular = read_irregular_forms(dir, stem);
  // Each synonym also stands for its irregular forms...
  for (auto& [word, list] : synonyms) {
    std::set<std::string> forms;
    for (const auto& synonym : list) {
      if (const auto it = irregular.find(synonym); it != irregular.end()) forms.insert(it->second.begin(), it->second.end());
    }
    forms.erase(word);
    list.insert(forms.begin(), forms.end());
  }
  // ...and an irregular form and its base are synonyms of each other, the form sharing the base's synonyms.
  for (const auto& [base, forms] : irregular) {
    const std::set<std::string> base_synonyms = synonyms.count(base) ? synonyms.at(base) : std::set<std::string>();
    for (const auto& form : forms) {
      auto& list = synonyms[form];
      list.insert(base);
      list.insert(base_synonyms.begin(), base_synonyms.end());
      list.erase(form);
      synonyms[base].insert(form);
    }
  }
  std::ofstream out(argv[2]);
  out << "// Generated by parley_synonym_table_generator from WordNet 3.0 (Princeton University); do not edit.\n"
         "// WordNet licence: /usr/share/doc/wordnet-base/copyright (a BSD-style licence).\n";
  for (const auto& [word, list] : synonyms) {
    out << "{\"" << word << "\", \"";
    bool first = true;
    for (const auto& synonym : list) {
      out << (first ? "" : " ") << synonym;
      first = false;
    }
    out << "\"},\n";
  }
  return out ? 0 : 1;
}
