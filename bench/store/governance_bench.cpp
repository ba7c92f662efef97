// Data governance at scale (issue 17): a store with MESSAGES messages (default 100,000: 10 per conversation, a lead
// with an email for every tenth conversation, and a webhook delivery naming each lead's conversation), then
//   1. erasure of one person, by visitor (conversation id) and by email, timed over 20 people each
//      (target: well under a second);
//   2. a retention run that deletes all of it, in its bounded batches, while a "chat" thread keeps writing chat turns
//      (a conversation and two messages per transaction, one every 5 ms): the chat write p50/p99/max before and during
//      the run (target: no stall; the run's batches keep each wait short).
//
// Usage: parley_governance_bench [MESSAGES]                                         (SQLite, a temporary file)
//        bench/store/with_postgres.sh build/bench/store/parley_governance_bench [MESSAGES]   (PostgreSQL)
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bench/support/bench_store.h"
#include "bench/support/stats.h"
#include "common/clock.h"
#include "governance/erasure.h"
#include "governance/retention.h"

namespace {

using namespace parley;
using Clock = std::chrono::steady_clock;

double millis_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

constexpr int kMessagesPerConversation = 10;
constexpr int kConversationsPerTransaction = 500;

struct Person {
  std::string conversation_id;
  std::string email;  // empty: left no lead
};

// Fills the bot with `conversations` conversations; returns who is in them.
Result<std::vector<Person>> fill(store::Store& store, const std::string& workspace, const std::string& bot,
                                 int conversations) {
  std::vector<Person> people;
  for (int start = 0; start < conversations; start += kConversationsPerTransaction) {
    PARLEY_TRY(store.write(store::Scope::workspace(workspace), [&](store::WriteTx& tx) -> Status {
      for (int i = start; i < std::min(conversations, start + kConversationsPerTransaction); ++i) {
        PARLEY_ASSIGN_OR_RETURN(auto conversation, tx.create_conversation(bot));
        store::Message message;
        message.conversation_id = conversation.id;
        for (int m = 0; m < kMessagesPerConversation; m += 2) {
          message.role = "user";
          message.text = "Where is my order number " + std::to_string(i * 100 + m) + "? It was due on Monday.";
          PARLEY_TRY(tx.append_message(message));
          message.role = "assistant";
          message.text = "Orders ship within two working days; tracking links arrive by email once it leaves us.";
          PARLEY_TRY(tx.append_message(message));
        }
        Person person{conversation.id, ""};
        if (i % 10 == 0) {
          person.email = "visitor" + std::to_string(i) + "@example.com";
          store::Lead lead;
          lead.bot_id = bot;
          lead.name = "Visitor " + std::to_string(i);
          lead.email = person.email;
          lead.conversation_id = conversation.id;
          PARLEY_ASSIGN_OR_RETURN(const auto stored, tx.create_lead(lead));
          conversation.lead_id = stored.id;
          PARLEY_TRY(tx.update_conversation_support(conversation));
          store::Delivery delivery;
          delivery.workspace_id = workspace;
          delivery.bot_id = bot;
          delivery.channel = "email";
          delivery.target = "sales@example.com";
          delivery.format = "email";
          delivery.event_id = "evt_" + std::to_string(i);
          delivery.event_type = "lead.created";
          delivery.payload = R"({"lead":{"id":")" + stored.id + R"(","email":")" + person.email +
                             R"("},"conversation_id":")" + conversation.id + R"("})";
          delivery.next_attempt_at = unix_millis() + 3'600'000;
          delivery.expires_at = unix_millis() + 86'400'000;
          PARLEY_TRY(tx.add_delivery(delivery));
        }
        people.push_back(std::move(person));
      }
      return {};
    }));
  }
  return people;
}

void report(const char* what, const std::vector<double>& ms) {
  std::printf("%-44s n=%-6zu p50 %8.2f ms   p99 %8.2f ms   max %8.2f ms\n", what, ms.size(), bench::percentile(ms, 0.5),
              bench::percentile(ms, 0.99), bench::percentile(ms, 1.0));
}

}  // namespace

int main(int argc, char** argv) {
  const int messages = argc > 1 ? std::atoi(argv[1]) : 100'000;
  const int conversations = std::max(20, messages / kMessagesPerConversation);
  bench::BenchStore bench_store("parley-governance-bench");
  if (auto opened = bench_store.open(); !opened.ok()) return bench::fail(opened.error());
  store::Store& store = bench_store.store();
  std::string workspace, bot;
  const auto created = store.write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(const auto made, tx.create_workspace("Bench"));
    workspace = made.id;
    return {};
  });
  if (!created.ok()) return bench::fail(created.error());
  const auto made_bot = store.write(store::Scope::workspace(workspace), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(const auto made, tx.create_bot("Shop", store::Json::object()));
    bot = made.id;
    return {};
  });
  if (!made_bot.ok()) return bench::fail(made_bot.error());

  const auto fill_start = Clock::now();
  auto people = fill(store, workspace, bot, conversations);
  if (!people.ok()) return bench::fail(people.error());
  std::printf("%s store: %d conversations, %d messages, %d leads and deliveries written in %.1f s\n",
              bench::BenchStore::backend(), conversations, conversations * kMessagesPerConversation,
              (conversations + 9) / 10, millis_since(fill_start) / 1000);

  // 1. Erasure of one person: 20 visitors without a lead, then 20 by email (a lead, its conversation, a delivery).
  std::vector<double> by_visitor, by_email;
  int erased_conversations = 0;
  for (std::size_t i = 1; by_visitor.size() < 20 && i < people->size(); i += 37) {
    if (!(*people)[i].email.empty()) continue;
    const auto start = Clock::now();
    const auto erased = governance::erase_person(store, workspace, {(*people)[i].conversation_id, ""}, "bench");
    by_visitor.push_back(millis_since(start));
    if (!erased.ok()) return bench::fail(erased.error());
    erased_conversations += static_cast<int>(erased->conversations);
  }
  for (std::size_t i = 0; by_email.size() < 20 && i < people->size(); i += 10 * 7) {
    const auto start = Clock::now();
    const auto erased = governance::erase_person(store, workspace, {"", (*people)[i].email}, "bench");
    by_email.push_back(millis_since(start));
    if (!erased.ok()) return bench::fail(erased.error());
    if (erased->deliveries != 1 || erased->leads != 1) {
      return bench::fail(make_error(ErrorCode::internal, "an email erasure missed its lead or delivery"));
    }
    erased_conversations += static_cast<int>(erased->conversations);
  }
  report("erase one visitor (by conversation id)", by_visitor);
  report("erase one person (by email: lead+delivery)", by_email);

  // 2. Retention over everything written so far, while chat turns keep being written.
  if (auto set = governance::set_retention(store, workspace, {1, 1}, "bench"); !set.ok()) return bench::fail(set.error());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::int64_t as_of = unix_millis() + 24LL * 60 * 60 * 1000;  // a day on: everything above is a day old
  std::atomic<bool> running{true};
  std::atomic<bool> retention_running{false};
  std::vector<double> idle, during;
  std::atomic<int> chat_errors{0};
  std::thread chat([&] {
    while (running) {
      const bool measuring_run = retention_running;
      const auto start = Clock::now();
      const auto turn = store.write(store::Scope::workspace(workspace), [&](store::WriteTx& tx) -> Status {
        PARLEY_ASSIGN_OR_RETURN(const auto conversation, tx.create_conversation(bot));
        store::Message message;
        message.conversation_id = conversation.id;
        message.role = "user";
        message.text = "Do you ship to Canada?";
        PARLEY_TRY(tx.append_message(message));
        message.role = "assistant";
        message.text = "Yes, within five working days.";
        PARLEY_TRY(tx.append_message(message));
        return {};
      });
      const double ms = millis_since(start);
      if (!turn.ok()) ++chat_errors;
      (measuring_run ? during : idle).push_back(ms);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the idle baseline
  retention_running = true;
  const auto run_start = Clock::now();
  const auto purged = governance::apply_retention(store, workspace, bot, as_of, governance::RetentionOptions{}, {}, "bench");
  const double run_ms = millis_since(run_start);
  retention_running = false;
  running = false;
  chat.join();
  if (!purged.ok()) return bench::fail(purged.error());
  std::printf("retention run: %lld conversations, %lld messages, %lld leads deleted in %.2f s (batches of %d)\n",
              static_cast<long long>(purged->conversations), static_cast<long long>(purged->messages),
              static_cast<long long>(purged->leads), run_ms / 1000, governance::RetentionOptions{}.batch_size);
  report("chat turn write, idle", idle);
  report("chat turn write, during the retention run", during);
  std::printf("chat turn errors: %d; conversations erased before the run: %d\n", chat_errors.load(), erased_conversations);
  const std::int64_t expected = conversations - erased_conversations;
  if (purged->conversations != expected) {
    return bench::fail(make_error(ErrorCode::internal, "the run deleted " + std::to_string(purged->conversations) +
                                                           " conversations, not " + std::to_string(expected)));
  }
  return chat_errors.load() == 0 ? 0 : 1;
}
