// Measures the prompt-injection detector on a labelled JSON-lines file ({"text", "label": 1 injection | 0 benign}):
// detection rate on the 1s, false-block rate on the 0s, with the compiled weights; then the honest estimate for
// weights fitted on the same file: k-fold cross-validation of the logistic combination (each fold scored by
// weights fitted on the other folds); then the weights fitted on the whole file, to compile into
// src/guard/injection.cpp. Optional further files of benign questions (one per line, or CSV with the question
// first) give the false-block rate on ordinary customer questions.
//
//   injection_eval TRAIN.jsonl [--folds 10] [--benign FILE[:CSV_COLUMN]]... [--errors]
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "guard/injection.h"

namespace {

using parley::guard::InjectionFeatures;
using parley::guard::InjectionWeights;
using parley::guard::kInjectionFeatureCount;

struct Example {
  InjectionFeatures features;
  int label = 0;
};

InjectionWeights fit(const std::vector<const Example*>& examples) {
  // Batch gradient descent on the L2-regularised log loss; the features are small counts, so this converges well.
  InjectionWeights model;
  constexpr double kRate = 2.0;
  constexpr double kL2 = 0.001;
  for (int epoch = 0; epoch < 1500; ++epoch) {
    InjectionFeatures gradient{};
    double bias_gradient = 0;
    for (const Example* example : examples) {
      const double error = parley::guard::injection_score(example->features, model) - example->label;
      for (std::size_t i = 0; i < kInjectionFeatureCount; ++i) gradient[i] += error * example->features[i];
      bias_gradient += error;
    }
    const double n = static_cast<double>(examples.size());
    for (std::size_t i = 0; i < kInjectionFeatureCount; ++i) {
      model.weights[i] -= kRate * (gradient[i] / n + kL2 * model.weights[i]);
    }
    model.bias -= kRate * bias_gradient / n;
    // A weak signal alone (shouting, hidden characters, an "Attention:") must not block a message: its weight
    // stays below what the bias takes away.
    for (std::size_t i : parley::guard::kWeakInjectionFeatures) {
      const double threshold_logit = std::log(parley::guard::kInjectionThreshold / (1 - parley::guard::kInjectionThreshold));
      model.weights[i] = std::min(model.weights[i], threshold_logit - model.bias - 0.25);
    }
  }
  return model;
}

struct Rates {
  double detection = 0;
  double false_block = 0;
};

Rates rates(const std::vector<Example>& examples, const std::vector<double>& scores,
            double threshold = parley::guard::kInjectionThreshold) {
  int positives = 0, detected = 0, negatives = 0, blocked = 0;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const bool flagged = scores[i] >= threshold;
    if (examples[i].label == 1) {
      ++positives;
      detected += flagged;
    } else {
      ++negatives;
      blocked += flagged;
    }
  }
  return {positives ? static_cast<double>(detected) / positives : 0, negatives ? static_cast<double>(blocked) / negatives : 0};
}

// Field `column` (from 1) of one CSV line ("" when absent); quoted fields may hold commas and doubled quotes.
std::string csv_field(const std::string& line, int column) {
  std::string field;
  int index = 1;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        if (index == column) field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else if (index == column) {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      if (index == column) return field;
      ++index;
    } else if (index == column) {
      field += c;
    }
  }
  return field;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: injection_eval TRAIN.jsonl [--folds K] [--benign FILE]...\n";
    return 2;
  }
  int folds = 10;
  std::vector<std::string> benign_files;
  bool list_errors = false;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--errors") {
      list_errors = true;
      continue;
    }
    if (i + 1 >= argc) break;
    if (flag == "--folds") folds = std::stoi(argv[i + 1]);
    if (flag == "--benign") benign_files.emplace_back(argv[i + 1]);
    ++i;
  }
  std::vector<Example> examples;
  std::vector<std::string> texts;
  std::ifstream in(argv[1]);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto row = nlohmann::json::parse(line);
    texts.push_back(row.at("text").get<std::string>());
    examples.push_back({parley::guard::injection_features(texts.back()), row.at("label").get<int>()});
  }
  if (examples.empty()) {
    std::cerr << "no examples in " << argv[1] << "\n";
    return 1;
  }
  const auto& compiled = parley::guard::injection_weights();
  std::vector<double> scores;
  for (const auto& example : examples) scores.push_back(parley::guard::injection_score(example.features, compiled));
  const Rates in_sample = rates(examples, scores);
  for (std::size_t i = 0; list_errors && i < examples.size(); ++i) {
    const bool flagged = scores[i] >= parley::guard::kInjectionThreshold;
    if (flagged != (examples[i].label == 1)) {
      std::cout << (flagged ? "  false block: " : "  missed: ") << texts[i].substr(0, 140) << "\n";
    }
  }
  std::cout << "examples " << examples.size() << "\n"
            << "compiled weights: detection " << in_sample.detection << ", false-block " << in_sample.false_block << "\n";

  std::vector<std::size_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  std::vector<double> held_out(examples.size());
  for (int fold = 0; fold < folds; ++fold) {
    std::vector<const Example*> training;
    for (std::size_t k = 0; k < order.size(); ++k) {
      if (static_cast<int>(k % folds) != fold) training.push_back(&examples[order[k]]);
    }
    const InjectionWeights model = fit(training);
    for (std::size_t k = 0; k < order.size(); ++k) {
      if (static_cast<int>(k % folds) == fold) held_out[order[k]] = parley::guard::injection_score(examples[order[k]].features, model);
    }
  }
  const Rates cv = rates(examples, held_out);
  std::cout << folds << "-fold cross-validated: detection " << cv.detection << ", false-block " << cv.false_block << "\n";
  for (double threshold : {0.30, 0.35, 0.40, 0.45, 0.50, 0.55}) {
    const Rates at = rates(examples, held_out, threshold);
    std::cout << "  cross-validated at threshold " << threshold << ": detection " << at.detection << ", false-block "
              << at.false_block << "\n";
  }

  std::vector<const Example*> all;
  for (const auto& example : examples) all.push_back(&example);
  const InjectionWeights model = fit(all);
  std::cout.precision(2);
  std::cout << std::fixed << "fitted on all: bias " << model.bias << ", weights {";
  for (std::size_t i = 0; i < kInjectionFeatureCount; ++i) std::cout << (i ? ", " : "") << model.weights[i];
  std::cout << "}\n";
  std::cout.precision(4);

  for (const auto& spec : benign_files) {
    // FILE, or FILE:N for a CSV file whose column N (from 1) holds the question (its header row is skipped).
    std::string file = spec;
    int column = 0;
    if (const auto colon = spec.rfind(':'); colon != std::string::npos && colon + 1 < spec.size()) {
      file = spec.substr(0, colon);
      column = std::stoi(spec.substr(colon + 1));
    }
    std::ifstream benign(file);
    int total = 0, blocked = 0;
    bool header = column > 0;
    for (std::string line; std::getline(benign, line);) {
      if (column > 0) line = csv_field(line, column);
      if (header) {
        header = false;
        continue;
      }
      if (line.empty()) continue;
      ++total;
      const auto verdict = parley::guard::check_injection(line);
      if (verdict.injection) {
        ++blocked;
        std::cout << "  blocked: " << line.substr(0, 120) << "\n";
      }
    }
    std::cout << file << ": " << blocked << " of " << total << " benign questions blocked ("
              << (total ? static_cast<double>(blocked) / total : 0) << ")\n";
  }
  return 0;
}
