#include "metrics/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <thread>

#include "metrics/process.h"

namespace parley::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Every line of the text format 0.0.4 is a comment (# HELP / # TYPE) or `name{labels} value`.
void expect_valid_exposition(const std::string& text) {
  static const std::regex comment(R"(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*)");
  static const std::regex sample(
      R"([a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|\+Inf|-Inf|NaN))");
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    EXPECT_TRUE(std::regex_match(line, comment) || std::regex_match(line, sample)) << line;
  }
}

TEST(Metrics, CountersGaugesAndHistogramsRenderInTheTextFormat) {
  Registry registry;
  auto& requests = registry.counter("parley_test_requests_total", "Requests", {"route", "status"});
  requests.labels({"GET /a", "200"}).add();
  requests.labels({"GET /a", "200"}).add(2);
  requests.labels({"GET /a", "404"}).add();
  registry.gauge("parley_test_depth", "Depth").get().set(7.5);
  auto& latency = registry.histogram("parley_test_seconds", "Latency", {"route"});
  latency.labels({"GET /a"}).observe(0.0004);
  latency.labels({"GET /a"}).observe(0.003);
  latency.labels({"GET /a"}).observe(99);
  const std::string text = registry.render();
  expect_valid_exposition(text);
  EXPECT_THAT(text, HasSubstr("# TYPE parley_test_requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr("parley_test_requests_total{route=\"GET /a\",status=\"200\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("parley_test_requests_total{route=\"GET /a\",status=\"404\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("parley_test_depth 7.5\n"));
  EXPECT_THAT(text, HasSubstr("parley_test_seconds_bucket{route=\"GET /a\",le=\"0.0005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("parley_test_seconds_bucket{route=\"GET /a\",le=\"0.0025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("parley_test_seconds_bucket{route=\"GET /a\",le=\"0.005\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("parley_test_seconds_bucket{route=\"GET /a\",le=\"30\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("parley_test_seconds_bucket{route=\"GET /a\",le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("parley_test_seconds_count{route=\"GET /a\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("parley_test_seconds_sum{route=\"GET /a\"} 99.0034\n"));
}

TEST(Metrics, LabelValuesAreEscaped) {
  Registry registry;
  registry.counter("parley_test_total", "Help with a \\ backslash\nand a newline", {"value"})
      .labels({"quote \" backslash \\ newline \n end"})
      .add();
  const std::string text = registry.render();
  expect_valid_exposition(text);
  EXPECT_THAT(text, HasSubstr(R"(parley_test_total{value="quote \" backslash \\ newline \n end"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(# HELP parley_test_total Help with a \\ backslash\nand a newline)"));
}

TEST(Metrics, TheSameNameGivesTheSameFamilyAndAMismatchIsRefused) {
  Registry registry;
  auto& first = registry.counter("parley_test_total", "x", {"a"});
  auto& again = registry.counter("parley_test_total", "x", {"a"});
  EXPECT_EQ(&first, &again);
  EXPECT_THROW(registry.counter("parley_test_total", "x", {"b"}), std::logic_error);
  EXPECT_THROW(registry.gauge("parley_test_total", "x", {"a"}), std::logic_error);
  EXPECT_THROW(first.labels({"1", "2"}), std::logic_error);
}

TEST(Metrics, ConcurrentIncrementsAreAllCounted) {
  Registry registry;
  auto& family = registry.counter("parley_test_total", "x", {"bot"});
  auto& histogram = registry.histogram("parley_test_seconds", "x");
  constexpr int kThreads = 4, kPerThread = 50'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Many threads create the same children at once: each label set must end up as exactly one child.
        family.labels({"bot_" + std::to_string(i % 50)}).add();
        histogram.get().observe(0.001 * (t + 1));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::uint64_t total = 0;
  for (int b = 0; b < 50; ++b) {
    const auto value = family.labels({"bot_" + std::to_string(b)}).value();
    EXPECT_EQ(value, static_cast<std::uint64_t>(kThreads * kPerThread / 50));
    total += value;
  }
  EXPECT_EQ(total, static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(histogram.get().snapshot().count, static_cast<std::uint64_t>(kThreads * kPerThread));
  const std::string text = registry.render();
  std::size_t lines = 0;
  for (std::size_t at = 0; (at = text.find("parley_test_total{", at)) != std::string::npos; ++at) ++lines;
  EXPECT_EQ(lines, 50u);
}

TEST(Metrics, LabelSetsBeyondTheCapacityAreCountedTogether) {
  Registry registry;
  auto& family = registry.counter("parley_test_total", "x", {"bot"}, 3);
  for (int i = 0; i < 10; ++i) family.labels({"bot_" + std::to_string(i)}).add();
  const std::string text = registry.render();
  EXPECT_THAT(text, HasSubstr("parley_test_total{bot=\"_other\"} 7\n"));
  EXPECT_THAT(text, HasSubstr("parley_test_total{bot=\"bot_0\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("bot_9")));
}

TEST(Metrics, CollectorsRunAtScrapeTimeUntilTheirHandleGoes) {
  Registry registry;
  double depth = 3;
  {
    auto first = registry.collect([&](Sink& sink) { sink.gauge("parley_test_queue", "Queue", {{"provider", "a"}}, depth); });
    auto second = registry.collect([](Sink& sink) { sink.gauge("parley_test_queue", "Queue", {{"provider", "b"}}, 1); });
    depth = 4;
    const std::string text = registry.render();
    expect_valid_exposition(text);
    // One header for both collectors' samples.
    EXPECT_EQ(text.find("# TYPE parley_test_queue gauge"), text.rfind("# TYPE parley_test_queue gauge"));
    EXPECT_THAT(text, HasSubstr("parley_test_queue{provider=\"a\"} 4\n"));
    EXPECT_THAT(text, HasSubstr("parley_test_queue{provider=\"b\"} 1\n"));
  }
  EXPECT_THAT(registry.render(), Not(HasSubstr("parley_test_queue")));
}

TEST(Metrics, TheProcessReportsItsMemoryAndOpenFiles) {
  const auto stats = process_stats();
  ASSERT_TRUE(stats.has_value());
  EXPECT_GT(stats->resident_bytes, 1u << 20);
  EXPECT_GE(stats->open_fds, 3u);  // stdin, stdout, stderr at least
  EXPECT_GT(stats->max_fds, stats->open_fds);
  EXPECT_GE(stats->threads, 1u);
  EXPECT_GT(stats->start_time_seconds, 1.6e9);
  EXPECT_LE(stats->start_time_seconds, static_cast<double>(std::time(nullptr)) + 1);
  const std::string text = registry().render();
  expect_valid_exposition(text);
  EXPECT_THAT(text, HasSubstr("parley_process_resident_memory_bytes "));
  EXPECT_THAT(text, HasSubstr("parley_process_open_fds "));
}

}  // namespace
}  // namespace parley::metrics
