#include "llm/sse_parser.h"

#include <gtest/gtest.h>

#include <vector>

namespace parley::llm {
namespace {

std::vector<SseEvent> parse_in_pieces(const std::string& stream, std::size_t piece) {
  SseParser parser;
  std::vector<SseEvent> events;
  for (std::size_t i = 0; i < stream.size(); i += piece) {
    EXPECT_TRUE(parser.feed(std::string_view(stream).substr(i, piece), [&](const SseEvent& e) { events.push_back(e); }));
  }
  parser.finish([&](const SseEvent& e) { events.push_back(e); });
  return events;
}

TEST(SseParser, EventsSurviveAnySplitAndAnyLineEnding) {
  const std::string stream =
      ": keep-alive comment\r\n\r\nevent: content_block_delta\r\ndata: {\"a\":1}\r\n\r\n"
      "data: line one\ndata: line two\nid: 7\n\ndata: [DONE]\r\r";
  for (std::size_t piece : {1, 2, 3, 7, 1000}) {
    const auto events = parse_in_pieces(stream, piece);
    ASSERT_EQ(events.size(), 3u) << "piece " << piece;
    EXPECT_EQ(events[0].event, "content_block_delta");
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[1].event, "message");
    EXPECT_EQ(events[1].data, "line one\nline two");
    EXPECT_EQ(events[1].id, "7");
    EXPECT_EQ(events[2].data, "[DONE]");
  }
}

TEST(SseParser, AnEventCutOffAtTheEndIsStillDelivered) {
  const auto events = parse_in_pieces("data: partial", 4);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "partial");
}

TEST(SseParser, OversizedEventsStopTheStream) {
  SseParser parser(100);
  const std::string huge = "data: " + std::string(200, 'x');
  EXPECT_FALSE(parser.feed(huge, [](const SseEvent&) {}));
}

}  // namespace
}  // namespace parley::llm
