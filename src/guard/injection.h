// Prompt-injection detection for visitor messages and for ingested content (crawled pages, PDFs, documents).
//
// The text is first normalised the way an attacker would hide an instruction from a reader but not from a model:
// compatibility and case folding with accents stripped (so German and English share patterns), invisible
// characters removed and counted, Unicode "tag" characters and base64 segments decoded, spaced-out letters
// ("i g n o r e") joined, literal "\n" escapes turned into line breaks. Families of patterns then look for the
// moves an injection makes, in English and German (and the most common phrasings of a few more languages):
// overriding earlier instructions, announcing a new task, praising the last answer before pivoting, assigning a
// persona or a role-play, extracting the prompt, forcing an output, replacing the provided context, threats,
// few-shot hijacks, content-generation tasks. Next to the patterns, a learned linear model over character and word
// n-grams of the same normalised text (guard/ngram_model.h) scores phrasings no pattern names. One logistic
// combination of the family counts, the language-independent signals (shouting, hidden characters, encodings) and
// the model's logit gives the calibrated score; model, combination and thresholds are fitted by
// `bench/security/injection_eval --write-model` (cross-validated figures in docs/SECURITY.md).
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley::guard {

struct InjectionVerdict {
  bool injection = false;
  double score = 0;                  // 0..1
  std::vector<std::string> reasons;  // what was found, for people ("instruction override", "hidden characters")
};

// What is screened: a visitor's message, or content a model would read through retrieval (a chunk of a page or
// document). Content is long and instructional by nature ("Do not ...", "Press ..."), and a false flag there hides
// a business's own help page from answers: it has its own, higher threshold, chosen on help pages when fitting.
enum class ScreenedText { message, content };

// The score at and above which a text is an injection (fitted; see injection_combiner.inc).
double injection_threshold(ScreenedText kind = ScreenedText::message);

// The verdict on `text` (any length; only the first kMaxScreenedBytes are screened).
InjectionVerdict check_injection(std::string_view text, ScreenedText kind = ScreenedText::message);

constexpr std::size_t kMaxScreenedBytes = 256 * 1024;

// ---- The model behind the verdict, for evaluation and fitting ----

inline constexpr std::array kInjectionFeatureNames = {
    "override", "new_task",  "praise_pivot", "roleplay",   "extraction",  "forced_output", "context_override",
    "threat",   "few_shot",  "pressure",     "generation", "interrupt",   "shouting",      "spaced_letters",
    "escapes",  "invisible", "encoded",   "ngram_model"};
constexpr std::size_t kInjectionFeatureCount = kInjectionFeatureNames.size();

// Signals that may raise a score but never block on their own (kept below the bias when fitting): pressure,
// interruption, shouting, escaped line breaks, hidden characters.
inline constexpr std::array<std::size_t, 5> kWeakInjectionFeatures = {9, 11, 12, 14, 15};

// The last feature: the learned model's logit (guard/ngram_model.h).
constexpr std::size_t kNgramModelFeature = kInjectionFeatureCount - 1;

using InjectionFeatures = std::array<double, kInjectionFeatureCount>;

InjectionFeatures injection_features(std::string_view text);

// The pattern features of `text` (the learned one left 0) and its screening form, for fitting the learned model.
struct PatternScreen {
  InjectionFeatures features{};
  std::string form;
};
PatternScreen screen_patterns(std::string_view text);

struct InjectionWeights {
  double bias = 0;
  InjectionFeatures weights{};
};
// The fitted combination compiled into the detector.
const InjectionWeights& injection_weights();
double injection_score(const InjectionFeatures& features, const InjectionWeights& weights);

// The screening form of `text` (folded, hidden text revealed), as the patterns see it.
std::string screening_form(std::string_view text);

}  // namespace parley::guard
