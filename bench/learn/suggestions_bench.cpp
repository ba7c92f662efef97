// Listing a bot's suggestions (learn/suggestions.h) when visitors have missed MISSES questions (default 10,000):
// each in a conversation of its own after an answered question, so the store holds twice as many questions and
// three times as many messages as misses. The misses are 4 wordings each of 1,000 topics (a few hundred
// suggestions of many misses each) plus one unique question in five (as many suggestions of one miss). Every tenth
// miss is a thumbs-down on an answer rather than a decline. Times 10 listings (each reads the misses, analyses the
// distinct wordings and groups them, in one read transaction) and 5 answers to a suggestion (each lists again
// inside its write transaction, then adds the pair and a test case), and prints the median and the worst.
//
// Usage: parley_suggestions_bench [MISSES]   (PARLEY_STORE_URL=postgresql://... for PostgreSQL)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/support/bench_store.h"
#include "bench/support/stats.h"
#include "learn/suggestions.h"

namespace {

using namespace parley;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point started) {
  return std::chrono::duration<double, std::milli>(Clock::now() - started).count();
}

const char* const kNouns[] = {"saddle", "pedal", "chain", "helmet", "tyre", "brake", "lamp", "lock", "bell", "basket",
                              "rack", "pump", "glove", "jersey", "bottle", "mirror", "stand", "grip", "fender", "crank"};
const char* const kWordings[] = {"Do you sell %s %s parts?", "%s %s parts for sale?", "Can I buy %s %s parts online",
                                 "do you sell a %s %s part"};

// The i-th missed question: a topic's wording, or (one in five) a question of its own.
std::string missed_question(std::size_t i) {
  char text[160];
  if (i % 5 == 4) {
    std::snprintf(text, sizeof text, "Is order %zu shipped to island %zu yet?", i, i * 7919 % 100003);
    return text;
  }
  const std::size_t topic = i * 2654435761u % 1000;
  const char* brand = kNouns[topic % 20];
  const char* model = kNouns[topic / 20 % 20];
  std::snprintf(text, sizeof text, kWordings[i % 4], brand, (std::string(model) + std::to_string(topic / 400)).c_str());
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t misses = argc > 1 ? static_cast<std::size_t>(std::atol(argv[1])) : 10'000;
  bench::BenchStore bench_store("parley-suggestions-bench");
  if (auto opened = bench_store.open(); !opened.ok()) return bench::fail(opened.error());
  auto& db = bench_store.store();
  std::string workspace, bot;
  if (auto made = db.write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
        PARLEY_ASSIGN_OR_RETURN(auto created, tx.create_workspace("Bench"));
        workspace = created.id;
        return {};
      });
      !made.ok()) {
    return bench::fail(made.error());
  }
  const auto scope = store::Scope::workspace(workspace);
  if (auto made = db.write(scope, [&](store::WriteTx& tx) -> Status {
        PARLEY_ASSIGN_OR_RETURN(auto created, tx.create_bot("Shop", store::Json::object()));
        bot = created.id;
        return {};
      });
      !made.ok()) {
    return bench::fail(made.error());
  }

  const auto filled = Clock::now();
  constexpr std::size_t kPerTransaction = 1000;
  for (std::size_t first = 0; first < misses; first += kPerTransaction) {
    const auto status = db.write(scope, [&](store::WriteTx& tx) -> Status {
      for (std::size_t i = first; i < std::min(misses, first + kPerTransaction); ++i) {
        PARLEY_ASSIGN_OR_RETURN(const auto conversation, tx.create_conversation(bot));
        const auto say = [&](const std::string& role, std::string text, std::string mode) {
          store::Message message;
          message.conversation_id = conversation.id;
          message.role = role;
          message.text = std::move(text);
          message.mode = std::move(mode);
          return tx.append_message(message);
        };
        PARLEY_TRY(say("user", "What are your opening hours?", ""));
        PARLEY_TRY(say("assistant", "Monday to Friday, 9 to 6.", "faq"));
        PARLEY_TRY(say("user", missed_question(i), ""));
        const bool thumbs_down = i % 10 == 9;
        PARLEY_ASSIGN_OR_RETURN(const auto answer, say("assistant", "Sorry, I don't know.", thumbs_down ? "extractive" : "fallback"));
        if (thumbs_down) PARLEY_TRY(tx.set_feedback(conversation.id, answer.id, -1));
      }
      return {};
    });
    if (!status.ok()) return bench::fail(status.error());
  }
  std::printf("%s: %zu missed questions written in %.0f ms\n", bench::BenchStore::backend(), misses, ms_since(filled));

  std::vector<double> listing;
  std::vector<learn::Suggestion> open;
  for (int run = 0; run < 10; ++run) {
    const auto started = Clock::now();
    const auto status = db.read(scope, [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(open, learn::list_suggestions(tx, bot));
      return {};
    });
    if (!status.ok()) return bench::fail(status.error());
    listing.push_back(ms_since(started));
  }
  std::int64_t counted = 0;
  for (const auto& suggestion : open) counted += suggestion.count;
  std::printf("list: %zu suggestions over %lld misses (most asked: %lld x \"%s\")\n", open.size(),
              static_cast<long long>(counted), static_cast<long long>(open.front().count), open.front().question.c_str());
  std::printf("list: median %.1f ms, worst %.1f ms (10 runs)\n", bench::percentile(listing, 0.5),
              bench::percentile(listing, 1.0));

  std::vector<double> answering;
  for (int run = 0; run < 5; ++run) {
    const auto started = Clock::now();
    const auto status = db.write(scope, [&](store::WriteTx& tx) -> Status {
      const learn::CuratedAnswer wanted{{"", "Yes, in the shop and online."}, true};
      PARLEY_TRY(learn::answer_suggestion(tx, bot, open[static_cast<std::size_t>(run)].id, wanted));
      return {};
    });
    if (!status.ok()) return bench::fail(status.error());
    answering.push_back(ms_since(started));
  }
  std::printf("answer: median %.1f ms, worst %.1f ms (5 answers, each with a test case)\n",
              bench::percentile(answering, 0.5), bench::percentile(answering, 1.0));
  return 0;
}
