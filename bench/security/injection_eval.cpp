// Fits and measures the prompt-injection detector (src/guard/injection.*, src/guard/ngram_model.*).
//
//   injection_eval TRAIN.jsonl [--help-pages DIR]... [--folds 5] [--benign FILE[:CSV_COLUMN_NAME]]... [--errors]
//                  [--write-model SRC_GUARD_DIR]
//
// TRAIN.jsonl holds {"text", "label": 1 injection | 0 benign}. Each --help-pages DIR is a folder of Mallard help
// pages (Debian's gnome-user-docs: /usr/share/help/C/gnome-help, /usr/share/help/de/gnome-help; CC-BY-SA 3.0):
// ordinary help content, every title, summary and passage of it a benign example, so that the model learns what
// instructional business text looks like (the labelled set's benign texts are all short questions).
//
// What it does, all deterministic (fixed seeds and orders, one thread), so the written files are the same byte for
// byte on every run:
//  1. Stratified k-fold cross-validation of the whole detector. For each fold the n-gram model (vocabulary, weights)
//     is fitted on the other folds only and scores the held-out texts (out-of-fold logits); the combination of
//     pattern features and model logit, and both thresholds, are then fitted per fold on the other folds'
//     out-of-fold logits and applied to the held-out fold. No text is scored by anything fitted on it.
//  2. The detector fitted on everything (the n-gram model on all texts, the combination on all out-of-fold
//     logits, the thresholds on the combination's scores), measured on the --benign question files (data it never
//     saw) and, with --write-model, written to SRC_GUARD_DIR/injection_model_weights.inc and
//     injection_combiner.inc.
//
// Thresholds: messages, the lowest score at which at most 1 % of the labelled benign texts and 0.2 % of the help
// pages' titles and summaries are blocked; content, the lowest (not below the message threshold) at which at most
// 0.1 % of the help passages are flagged.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <iostream>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "guard/injection.h"
#include "guard/ngram_model.h"
#include "ingest/language.h"
#include "text/analyzer.h"

namespace {

using parley::guard::InjectionFeatures;
using parley::guard::InjectionWeights;
using parley::guard::kInjectionFeatureCount;
using parley::guard::NgramKind;

// ---- Settings of the fit (changing one changes the written model) ----
double kNgramC = 30;             // inverse L2 strength of the n-gram model (as scikit-learn's C)
int kMinDocumentFrequency = 2;   // an n-gram seen in one text only is not learned from
double kMinWeight = 0.05;         // smaller weights are dropped after the fit (a small table, fast to look up)
double kHelpShare = 0.1;         // the help pages' share of the benign examples' total weight
constexpr std::size_t kHelpPassageChars = 1200;  // about an ingested chunk: scored in as many windows
constexpr double kMessageFalseBlocks = 0.015;
double kHelpTitleFalseBlocks = 0;
constexpr double kContentFalseFlags = 0.001;
constexpr std::uint64_t kSeed = 7;

enum class Origin { labelled, help_title, help_passage };

struct Example {
  std::string text;
  int label = 0;
  Origin origin = Origin::labelled;
  std::string language;  // "en", "de" or "other" (labelled examples)
  InjectionFeatures patterns{};
  std::string form;
  // The text's n-grams: key (kind byte + gram) -> count; and per kind the number of occurrences.
  std::vector<std::pair<std::string, int>> grams;
  double occurrences[2] = {0, 0};
  double weight = 1;  // in the fits
  int fold = 0;
};

std::string collapse_spaces(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string all_text(const pugi::xml_node& node) {
  std::string text;
  for (const auto& part : node.select_nodes(".//text()")) text += part.node().value();
  return collapse_spaces(text);
}

// A Mallard page's title and summary (short examples) and its paragraphs gathered into passages of about
// kHelpPassageChars (long examples), in file-name order.
void load_help_pages(const std::string& folder, std::vector<Example>& out) {
  std::vector<std::filesystem::path> pages;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() == ".page") pages.push_back(entry.path());
  }
  std::sort(pages.begin(), pages.end());
  for (const auto& path : pages) {
    pugi::xml_document document;
    if (!document.load_file(path.c_str())) continue;
    const auto page = document.child("page");
    const std::string title = all_text(page.child("title"));
    const std::string summary = all_text(page.child("info").child("desc"));
    const auto add = [&](const std::string& text, Origin origin) {
      Example example;
      example.text = text;
      example.origin = origin;
      out.push_back(std::move(example));
    };
    for (const auto& text : {title, summary}) {
      if (!text.empty()) add(text, Origin::help_title);
    }
    std::string passage = title;
    for (const auto& paragraph : page.select_nodes(".//p")) {
      const std::string text = all_text(paragraph.node());
      if (text.empty()) continue;
      if (!passage.empty() && passage.size() + text.size() > kHelpPassageChars) {
        add(passage, Origin::help_passage);
        passage.clear();
      }
      passage += (passage.empty() ? "" : "\n") + text;
    }
    if (!passage.empty() && passage != title) add(passage, Origin::help_passage);
  }
}

// "en", "de" or "other": ingest::detect_language, and for a text too short for it, the side with more of the
// language's function words (German if it has letters only German uses).
std::string language_of(const std::string& text) {
  const std::string detected = parley::ingest::detect_language(text);
  if (!detected.empty()) return detected == "en" || detected == "de" ? detected : "other";
  for (const char* german : {"\xC3\xA4", "\xC3\xB6", "\xC3\xBC", "\xC3\x9F", "\xC3\x84", "\xC3\x96", "\xC3\x9C"}) {
    if (text.find(german) != std::string::npos) return "de";
  }
  int hits[2] = {0, 0};
  const std::string folded = parley::text::fold(text);
  std::string word;
  const auto count = [&] {
    for (int l = 0; l < 2 && !word.empty(); ++l) {
      const auto& words = parley::text::stop_words(l == 0 ? "en" : "de");
      hits[l] += std::find(words.begin(), words.end(), word) != words.end();
    }
    word.clear();
  };
  for (const char c : folded) {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      word += c;
    } else {
      count();
    }
  }
  count();
  return hits[0] > hits[1] ? "en" : hits[1] > hits[0] ? "de" : "other";
}

void analyse(Example& example) {
  auto screened = parley::guard::screen_patterns(example.text);
  example.patterns = screened.features;
  example.form = std::move(screened.form);
  std::map<std::string, int> counts;
  std::string key;
  parley::guard::for_each_ngram(example.form, [&](std::size_t, NgramKind kind, std::string_view gram) {
    key.assign(1, static_cast<char>('0' + static_cast<int>(kind))).append(gram);
    ++counts[key];
    example.occurrences[static_cast<int>(kind)] += 1;
  });
  example.grams.assign(counts.begin(), counts.end());
}

// Deterministic on every platform (std::shuffle's and the distributions' algorithms are not specified).
template <typename T>
void shuffle(std::vector<T>& items, std::mt19937_64& random) {
  for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[random() % i]);
}

// ---- The n-gram model: weighted, L2-regularised logistic regression fitted by L-BFGS ----

struct SparseRow {
  std::vector<std::pair<std::uint32_t, double>> values;
  double label = 0;
  double weight = 1;
  double offset = 0;  // added to the logit, not fitted
};

struct FittedNgrams {
  double bias = 0;
  std::vector<std::string> keys;  // kind byte + gram
  std::vector<double> weights;
};

double sigmoid(double z) { return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z)); }
double log1p_exp(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

// Minimises sum_i weight_i * logloss_i + |w|^2 / (2 C) over w and an unregularised bias (the last variable).
std::vector<double> fit_logistic(const std::vector<SparseRow>& rows, std::size_t dimensions, double c) {
  const std::size_t n = dimensions + 1;
  const auto evaluate = [&](const std::vector<double>& x, std::vector<double>& gradient) {
    std::fill(gradient.begin(), gradient.end(), 0.0);
    double loss = 0;
    for (const auto& row : rows) {
      double z = x[dimensions] + row.offset;
      for (const auto& [index, value] : row.values) z += x[index] * value;
      loss += row.weight * (row.label > 0 ? log1p_exp(-z) : log1p_exp(z));
      const double error = row.weight * (sigmoid(z) - row.label);
      for (const auto& [index, value] : row.values) gradient[index] += error * value;
      gradient[dimensions] += error;
    }
    for (std::size_t j = 0; j < dimensions; ++j) {
      loss += x[j] * x[j] / (2 * c);
      gradient[j] += x[j] / c;
    }
    return loss;
  };
  const auto dot = [](const std::vector<double>& a, const std::vector<double>& b) {
    double sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
    return sum;
  };
  constexpr std::size_t kHistory = 10;
  constexpr int kMaxIterations = 500;
  std::vector<double> x(n, 0.0), gradient(n), next(n), next_gradient(n), direction(n);
  std::vector<std::vector<double>> s_history, y_history;
  std::vector<double> rho_history;
  double loss = evaluate(x, gradient);
  for (int iteration = 0; iteration < kMaxIterations; ++iteration) {
    if (std::sqrt(dot(gradient, gradient)) < 1e-6 * std::max(1.0, std::abs(loss))) break;
    // Two-loop recursion: direction = -H * gradient.
    direction = gradient;
    std::vector<double> alpha(s_history.size());
    for (std::size_t k = s_history.size(); k-- > 0;) {
      alpha[k] = rho_history[k] * dot(s_history[k], direction);
      for (std::size_t i = 0; i < n; ++i) direction[i] -= alpha[k] * y_history[k][i];
    }
    if (!s_history.empty()) {
      const double scale = dot(s_history.back(), y_history.back()) / dot(y_history.back(), y_history.back());
      for (auto& d : direction) d *= scale;
    }
    for (std::size_t k = 0; k < s_history.size(); ++k) {
      const double beta = rho_history[k] * dot(y_history[k], direction);
      for (std::size_t i = 0; i < n; ++i) direction[i] += s_history[k][i] * (alpha[k] - beta);
    }
    for (auto& d : direction) d = -d;
    double slope = dot(direction, gradient);
    if (slope >= 0) {  // not a descent direction: start the history again from steepest descent
      s_history.clear(), y_history.clear(), rho_history.clear();
      for (std::size_t i = 0; i < n; ++i) direction[i] = -gradient[i];
      slope = dot(direction, gradient);
    }
    double step = s_history.empty() ? 1 / std::max(1.0, std::sqrt(dot(gradient, gradient))) : 1.0;
    double next_loss = 0;
    for (int tries = 0; tries < 40; ++tries, step /= 2) {  // backtracking to the Armijo condition
      for (std::size_t i = 0; i < n; ++i) next[i] = x[i] + step * direction[i];
      next_loss = evaluate(next, next_gradient);
      if (next_loss <= loss + 1e-4 * step * slope) break;
    }
    std::vector<double> s(n), y(n);
    for (std::size_t i = 0; i < n; ++i) {
      s[i] = next[i] - x[i];
      y[i] = next_gradient[i] - gradient[i];
    }
    const double sy = dot(s, y);
    const bool converged = loss - next_loss < 1e-10 * std::max(1.0, std::abs(loss));
    x.swap(next);
    gradient.swap(next_gradient);
    loss = next_loss;
    if (converged) break;
    if (sy > 1e-12) {
      if (s_history.size() == kHistory) {
        s_history.erase(s_history.begin());
        y_history.erase(y_history.begin());
        rho_history.erase(rho_history.begin());
      }
      s_history.push_back(std::move(s));
      y_history.push_back(std::move(y));
      rho_history.push_back(1 / sy);
    }
  }
  return x;
}

FittedNgrams fit_ngrams(const std::vector<const Example*>& training) {
  // Vocabulary: n-grams in at least kMinDocumentFrequency training texts, in byte order.
  std::unordered_map<std::string, int> document_frequency;
  for (const Example* example : training) {
    for (const auto& [key, count] : example->grams) ++document_frequency[key];
  }
  FittedNgrams fitted;
  for (const auto& [key, frequency] : document_frequency) {
    if (frequency >= kMinDocumentFrequency) fitted.keys.push_back(key);
  }
  std::sort(fitted.keys.begin(), fitted.keys.end());
  std::unordered_map<std::string, std::uint32_t> index;
  for (std::uint32_t i = 0; i < fitted.keys.size(); ++i) index.emplace(fitted.keys[i], i);

  std::vector<SparseRow> rows;
  rows.reserve(training.size());
  for (const Example* example : training) {
    SparseRow row;
    row.label = example->label;
    row.weight = example->weight;
    for (const auto& [key, count] : example->grams) {
      const auto found = index.find(key);
      if (found == index.end()) continue;
      const int kind = key[0] - '0';
      row.values.emplace_back(found->second, count / std::sqrt(example->occurrences[kind]));
    }
    rows.push_back(std::move(row));
  }
  const auto x = fit_logistic(rows, fitted.keys.size(), kNgramC);
  fitted.bias = x.back();
  FittedNgrams pruned;
  pruned.bias = x.back();
  for (std::size_t i = 0; i < fitted.keys.size(); ++i) {
    if (std::abs(x[i]) < kMinWeight) continue;
    pruned.keys.push_back(fitted.keys[i]);
    pruned.weights.push_back(x[i]);
  }
  return pruned;
}

// The runtime model (guard::NgramModel) made from a fit; `storage` keeps the grams' text alive.
parley::guard::NgramModel runtime_model(const FittedNgrams& fitted, std::vector<std::string>& storage) {
  storage.clear();
  for (const auto& key : fitted.keys) storage.push_back(key.substr(1));
  std::vector<parley::guard::WeightedNgram> weights;
  for (std::size_t i = 0; i < fitted.keys.size(); ++i) {
    weights.push_back({static_cast<NgramKind>(fitted.keys[i][0] - '0'), storage[i].c_str(),
                       static_cast<float>(fitted.weights[i])});
  }
  return parley::guard::NgramModel(fitted.bias, weights);
}

// ---- The combination: logistic regression over the pattern features and the model's logit ----

// Two steps, so that the patterns add to the model and never stand in for it: the model's logit is calibrated
// alone first (Platt scaling on the out-of-fold logits), then the pattern features are fitted on top of it as an
// offset. Fitted together, the patterns would take most of the weight: they were written while reading this very
// set and catch almost all of its injections, but far fewer of phrasings they were not written for (issue 15: 0.58
// on a held-out split), where the model's own calibrated logit then decides alone.
InjectionWeights fit_combination(const std::vector<const Example*>& examples, const std::vector<double>& logits) {
  // logits[i] is examples[i]'s.
  std::vector<SparseRow> calibration, patterns;
  for (std::size_t e = 0; e < examples.size(); ++e) {
    SparseRow row;
    row.label = examples[e]->label;
    row.weight = examples[e]->weight;
    row.values.emplace_back(0, logits[e]);
    calibration.push_back(std::move(row));
  }
  const auto platt = fit_logistic(calibration, 1, 1e6);
  for (std::size_t e = 0; e < examples.size(); ++e) {
    SparseRow row;
    row.label = examples[e]->label;
    row.weight = examples[e]->weight;
    row.offset = platt[0] * logits[e] + platt[1];
    for (std::uint32_t i = 0; i < parley::guard::kNgramModelFeature; ++i) {
      if (examples[e]->patterns[i] != 0) row.values.emplace_back(i, examples[e]->patterns[i]);
    }
    patterns.push_back(std::move(row));
  }
  const auto x = fit_logistic(patterns, parley::guard::kNgramModelFeature, 10.0);
  InjectionWeights weights;
  weights.bias = platt[1] + x.back();
  for (std::size_t i = 0; i < parley::guard::kNgramModelFeature; ++i) weights.weights[i] = x[i];
  weights.weights[parley::guard::kNgramModelFeature] = platt[0];
  // A weak signal alone (shouting, hidden characters, an "Attention:") must not block a message: its weight stays
  // below what the bias takes away (clamped after the fit).
  for (std::size_t i : parley::guard::kWeakInjectionFeatures) weights.weights[i] = std::min(weights.weights[i], -weights.bias - 0.5);
  return weights;
}

double combined_score(const Example& example, double logit, const InjectionWeights& weights) {
  InjectionFeatures features = example.patterns;
  features[parley::guard::kNgramModelFeature] = logit;
  return parley::guard::injection_score(features, weights);
}

// The lowest score (from `scores`) at which at most `rate` of `scores` reach it.
double threshold_for(std::vector<double> scores, double rate) {
  if (scores.empty()) return 0.5;
  std::sort(scores.rbegin(), scores.rend());
  const auto allowed = static_cast<std::size_t>(std::floor(rate * static_cast<double>(scores.size())));
  if (allowed >= scores.size()) return 0;
  // Just above the first score that may not be reached.
  return std::nextafter(scores[allowed], 2.0);
}

struct Thresholds {
  double message = 0.5;
  double content = 0.5;
};

Thresholds choose_thresholds(const std::vector<const Example*>& examples, const std::vector<double>& scores) {
  std::vector<double> benign, titles, passages;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    if (examples[i]->origin == Origin::labelled && examples[i]->label == 0) benign.push_back(scores[i]);
    if (examples[i]->origin == Origin::help_title) titles.push_back(scores[i]);
    if (examples[i]->origin == Origin::help_passage) passages.push_back(scores[i]);
  }
  Thresholds thresholds;
  thresholds.message = std::max(threshold_for(benign, kMessageFalseBlocks), threshold_for(titles, kHelpTitleFalseBlocks));
  thresholds.content = std::max(thresholds.message, threshold_for(passages, kContentFalseFlags));
  return thresholds;
}

// ---- Reports ----

struct Tally {
  int positives = 0, detected = 0, negatives = 0, blocked = 0;
  void add(int label, bool flagged) {
    if (label == 1) {
      ++positives;
      detected += flagged;
    } else {
      ++negatives;
      blocked += flagged;
    }
  }
  std::string str() const {
    char out[160];
    std::snprintf(out, sizeof out, "detection %.3f (%d of %d), false blocks %.3f (%d of %d)",
                  positives ? static_cast<double>(detected) / positives : 0.0, detected, positives,
                  negatives ? static_cast<double>(blocked) / negatives : 0.0, blocked, negatives);
    return out;
  }
};

// The rows of an RFC 4180 CSV text (quoted fields may hold commas, doubled quotes and line breaks).
std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      rows.back().push_back(std::move(field));
      field.clear();
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  rows.back().push_back(std::move(field));
  return rows;
}

// The questions of a --benign spec: FILE:COLUMN, a CSV file whose column COLUMN (a header name) holds them;
// FILE.json, a SQuAD-style file (every question of every paragraph); else one question per line.
std::vector<std::string> benign_questions(const std::string& spec) {
  std::vector<std::string> questions;
  const auto colon = spec.rfind(':');
  if (colon != std::string::npos) {
    std::ifstream in(spec.substr(0, colon), std::ios::binary);
    const auto rows = csv_rows(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
    if (rows.empty()) return questions;
    const auto column = std::find(rows[0].begin(), rows[0].end(), spec.substr(colon + 1)) - rows[0].begin();
    for (std::size_t r = 1; r < rows.size(); ++r) {
      if (static_cast<std::size_t>(column) < rows[r].size() && !rows[r][column].empty()) questions.push_back(rows[r][column]);
    }
  } else if (spec.ends_with(".json")) {
    std::ifstream in(spec, std::ios::binary);
    // The document in a variable: a range-for over parse(in)["data"] iterates a member of a temporary destroyed
    // before the loop's first step (before C++23), which is how this reader once found no question at all.
    const nlohmann::json document = nlohmann::json::parse(in);
    for (const auto& article : document.at("data")) {
      for (const auto& paragraph : article.at("paragraphs")) {
        for (const auto& qa : paragraph.at("qas")) questions.push_back(qa.at("question").get<std::string>());
      }
    }
  } else {
    std::ifstream in(spec);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) questions.push_back(line);
    }
  }
  return questions;
}

// A C++ string literal for `text` (octal escapes: they end after three digits, whatever follows).
std::string cpp_literal(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte >= 0x7F || c == '?') {  // '?' too: no trigraphs
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\%03o", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// `digits` significant digits, always with a decimal point (so that an "f" suffix makes a float literal).
std::string number(double value, int digits = 6) {
  char out[32];
  std::snprintf(out, sizeof out, "%#.*g", digits, value);
  return out;
}

void write_model(const std::string& folder, const FittedNgrams& ngrams, const InjectionWeights& combination,
                 const Thresholds& thresholds, const std::string& provenance) {
  const std::string header = "// Generated by bench/security/injection_eval --write-model (scripts/train-injection-model.sh) from\n" +
                             provenance + "// Do not edit: regenerate.\n";
  std::ofstream model(folder + "/injection_model_weights.inc", std::ios::binary | std::ios::trunc);
  model << header << "inline constexpr double kNgramBias = " << number(ngrams.bias) << ";\n"
        << "inline constexpr std::array<WeightedNgram, " << ngrams.keys.size() << "> kNgramWeights{{\n";
  for (std::size_t i = 0; i < ngrams.keys.size(); ++i) {
    model << "    {NgramKind::" << (ngrams.keys[i][0] == '0' ? "character" : "word") << ", "
          << cpp_literal(std::string_view(ngrams.keys[i]).substr(1)) << ", " << number(ngrams.weights[i], 4) << "f},\n";
  }
  model << "}};\n";

  std::ofstream combiner(folder + "/injection_combiner.inc", std::ios::binary | std::ios::trunc);
  combiner << header << "inline constexpr double kCombinedBias = " << number(combination.bias) << ";\n"
           << "// In the order of kInjectionFeatureNames.\ninline constexpr InjectionFeatures kCombinedWeights = {";
  for (std::size_t i = 0; i < kInjectionFeatureCount; ++i) combiner << (i ? ", " : "") << number(combination.weights[i]);
  combiner << "};\n"
           << "inline constexpr double kMessageThreshold = " << number(thresholds.message) << ";\n"
           << "inline constexpr double kContentThreshold = " << number(thresholds.content) << ";\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: injection_eval TRAIN.jsonl [--help-pages DIR]... [--folds K] [--benign FILE[:COLUMN]]... "
                 "[--errors] [--write-model SRC_GUARD_DIR]\n";
    return 2;
  }
  int folds = 5;
  std::vector<std::string> benign_files, help_folders;
  std::string write_folder;
  bool list_errors = false;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--errors") {
      list_errors = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::cerr << flag << " needs a value\n";
      return 2;
    }
    const std::string value = argv[++i];
    if (flag == "--folds") folds = std::stoi(value);
    else if (flag == "--x-c") kNgramC = std::stod(value);
    else if (flag == "--x-min-weight") kMinWeight = std::stod(value);
    else if (flag == "--x-min-df") kMinDocumentFrequency = std::stoi(value);
    else if (flag == "--x-help-share") kHelpShare = std::stod(value);
    else if (flag == "--x-title-rate") kHelpTitleFalseBlocks = std::stod(value);
    else if (flag == "--benign") benign_files.push_back(value);
    else if (flag == "--help-pages") help_folders.push_back(value);
    else if (flag == "--write-model") write_folder = value;
    else {
      std::cerr << "unknown option " << flag << "\n";
      return 2;
    }
  }

  std::vector<Example> examples;
  {
    std::ifstream in(argv[1]);
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      const auto row = nlohmann::json::parse(line);
      Example example;
      example.text = row.at("text").get<std::string>();
      example.label = row.at("label").get<int>();
      example.language = language_of(example.text);
      examples.push_back(std::move(example));
    }
  }
  const std::size_t labelled = examples.size();
  if (labelled == 0) {
    std::cerr << "no examples in " << argv[1] << "\n";
    return 1;
  }
  for (const auto& folder : help_folders) load_help_pages(folder, examples);
  for (auto& example : examples) analyse(example);

  // Weights: the labelled classes balanced; the help pages carry kHelpShare of the benign side.
  {
    double positives = 0, negatives = 0, help = 0;
    for (const auto& e : examples) (e.origin != Origin::labelled ? help : e.label ? positives : negatives) += 1;
    const double half = static_cast<double>(labelled) / 2;
    const double share = help > 0 ? kHelpShare : 0;
    for (auto& e : examples) {
      e.weight = e.origin != Origin::labelled ? half * share / help
                 : e.label                    ? half / positives
                                              : half * (1 - share) / negatives;
    }
  }
  // Folds: stratified by label for the labelled texts; the help examples dealt out the same way.
  {
    std::mt19937_64 random(kSeed);
    for (const auto& group : {std::pair{Origin::labelled, 1}, std::pair{Origin::labelled, 0},
                              std::pair{Origin::help_title, 0}, std::pair{Origin::help_passage, 0}}) {
      std::vector<std::size_t> members;
      for (std::size_t i = 0; i < examples.size(); ++i) {
        if (examples[i].origin == group.first && examples[i].label == group.second) members.push_back(i);
      }
      shuffle(members, random);
      for (std::size_t k = 0; k < members.size(); ++k) examples[members[k]].fold = static_cast<int>(k % folds);
    }
  }
  std::vector<const Example*> all;
  for (const auto& e : examples) all.push_back(&e);

  // 1. Out-of-fold n-gram logits.
  std::vector<double> oof_logit(examples.size());
  for (int fold = 0; fold < folds; ++fold) {
    std::vector<const Example*> training;
    for (const auto& e : examples) {
      if (e.fold != fold) training.push_back(&e);
    }
    std::vector<std::string> storage;
    const auto model = runtime_model(fit_ngrams(training), storage);
    for (std::size_t i = 0; i < examples.size(); ++i) {
      if (examples[i].fold == fold) oof_logit[i] = model.logit(examples[i].form);
    }
    std::cerr << "fold " << fold + 1 << " of " << folds << ": " << model.size() << " n-grams\n";
  }
  // The combination and thresholds per fold, from the other folds' out-of-fold logits.
  const auto subset_logits = [&](const std::vector<const Example*>& subset) {
    std::vector<double> logits;
    for (const Example* e : subset) logits.push_back(oof_logit[static_cast<std::size_t>(e - examples.data())]);
    return logits;
  };
  std::vector<double> cv_score(examples.size()), model_score(examples.size());
  std::vector<Thresholds> cv_thresholds(examples.size()), model_thresholds(examples.size());
  for (int fold = 0; fold < folds; ++fold) {
    std::vector<const Example*> training;
    for (const auto& e : examples) {
      if (e.fold != fold) training.push_back(&e);
    }
    const auto logits = subset_logits(training);
    const InjectionWeights weights = fit_combination(training, logits);
    std::vector<double> training_scores;
    for (std::size_t i = 0; i < training.size(); ++i) training_scores.push_back(combined_score(*training[i], logits[i], weights));
    const Thresholds thresholds = choose_thresholds(training, training_scores);
    // The n-gram model alone (its logit as the score), thresholds chosen the same way: what the patterns add.
    std::vector<double> training_logits;
    for (std::size_t i = 0; i < training.size(); ++i) training_logits.push_back(sigmoid(logits[i]));
    const Thresholds alone = choose_thresholds(training, training_logits);
    for (std::size_t i = 0; i < examples.size(); ++i) {
      if (examples[i].fold != fold) continue;
      cv_score[i] = combined_score(examples[i], oof_logit[i], weights);
      cv_thresholds[i] = thresholds;
      model_score[i] = sigmoid(oof_logit[i]);
      model_thresholds[i] = alone;
    }
  }

  std::map<std::string, Tally> message_tally, model_only;
  Tally titles, passages;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const auto& e = examples[i];
    const bool blocked = cv_score[i] >= cv_thresholds[i].message;
    if (e.origin == Origin::labelled) {
      message_tally["all"].add(e.label, blocked);
      message_tally[e.language].add(e.label, blocked);
      if (list_errors && blocked != (e.label == 1)) {
        std::printf("  %s (%.3f): %.150s\n", blocked ? "false block" : "missed", cv_score[i], e.text.c_str());
      }
    } else if (e.origin == Origin::help_title) {
      titles.add(0, blocked);
    } else {
      passages.add(0, cv_score[i] >= cv_thresholds[i].content);
    }
  }
  for (std::size_t i = 0; i < labelled; ++i) {
    model_only["all"].add(examples[i].label, model_score[i] >= model_thresholds[i].message);
    model_only[examples[i].language].add(examples[i].label, model_score[i] >= model_thresholds[i].message);
  }
  std::printf("%d-fold cross-validated (each text scored by a detector fitted without it):\n", folds);
  for (const auto& [language, tally] : message_tally) std::printf("  messages, %-5s  %s\n", language.c_str(), tally.str().c_str());
  std::printf("  help titles and summaries blocked as messages: %d of %d\n", titles.blocked, titles.negatives);
  std::printf("  help passages flagged as content: %d of %d\n", passages.blocked, passages.negatives);
  for (const auto& [language, tally] : model_only) {
    std::printf("  n-gram model alone (no patterns), %-5s  %s\n", language.c_str(), tally.str().c_str());
  }

  // 2. Everything fitted on everything.
  const FittedNgrams ngrams = fit_ngrams(all);
  const InjectionWeights combination = fit_combination(all, oof_logit);
  std::vector<double> scores;
  for (std::size_t i = 0; i < examples.size(); ++i) scores.push_back(combined_score(examples[i], oof_logit[i], combination));
  const Thresholds thresholds = choose_thresholds(all, scores);
  std::vector<std::string> storage;
  const auto model = runtime_model(ngrams, storage);
  std::printf("fitted on all: %zu n-grams, bias %.3f; combination bias %.3f, model weight %.3f; thresholds: "
              "message %.4f, content %.4f\n",
              ngrams.keys.size(), ngrams.bias, combination.bias, combination.weights[parley::guard::kNgramModelFeature],
              thresholds.message, thresholds.content);

  int all_questions = 0, all_blocked = 0;
  for (const auto& spec : benign_files) {
    int blocked = 0;
    const auto questions = benign_questions(spec);
    for (const auto& text : questions) {
      Example question;
      question.text = text;
      analyse(question);
      const double score = combined_score(question, model.logit(question.form), combination);
      if (score >= thresholds.message) {
        ++blocked;
        std::printf("  blocked (%.3f): %.140s\n", score, text.c_str());
      }
    }
    std::printf("%s: %d of %zu benign questions blocked (%.4f)\n", spec.c_str(), blocked, questions.size(),
                questions.empty() ? 0.0 : static_cast<double>(blocked) / static_cast<double>(questions.size()));
    all_questions += static_cast<int>(questions.size());
    all_blocked += blocked;
  }
  if (!benign_files.empty()) {
    std::printf("all benign questions: %d of %d blocked (%.4f)\n", all_blocked, all_questions,
                all_questions ? static_cast<double>(all_blocked) / all_questions : 0.0);
  }

  if (!write_folder.empty()) {
    std::string provenance = "//   " + std::filesystem::path(argv[1]).filename().string() + " (" +
                             std::to_string(labelled) + " labelled texts)\n";
    for (const auto& folder : help_folders) provenance += "//   help pages of " + folder + "\n";
    write_model(write_folder, ngrams, combination, thresholds, provenance);
    std::printf("wrote %s/injection_model_weights.inc and injection_combiner.inc\n", write_folder.c_str());
  }
  return 0;
}
