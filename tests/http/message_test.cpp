#include "http/message.h"

#include <gtest/gtest.h>

namespace parley::http {
namespace {

TEST(Message, UrlDecoding) {
  EXPECT_EQ(*url_decode("a%20b+c", true), "a b c");
  EXPECT_EQ(*url_decode("a+b", false), "a+b");
  EXPECT_FALSE(url_decode("%zz", false).ok());
  EXPECT_FALSE(url_decode("%4", false).ok());
  EXPECT_EQ(url_decode("%FF", false).error().code, ErrorCode::invalid_utf8);
}

TEST(Message, QueryParsing) {
  const auto query = parse_query("limit=5&name=a%2Fb.md&flag&=x");
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->at("limit"), "5");
  EXPECT_EQ(query->at("name"), "a/b.md");
  EXPECT_EQ(query->at("flag"), "");
}

TEST(Message, JsonBodyChecks) {
  Request request;
  request.body = "{\"a\":1}";
  EXPECT_TRUE(parse_json_object(request).ok());
  request.body = "[1]";
  EXPECT_EQ(parse_json_object(request).error().code, ErrorCode::invalid_json);
  request.body = "{\"a\":";
  EXPECT_EQ(parse_json_object(request).error().code, ErrorCode::invalid_json);
  request.body = "{\"a\":\"\xFF\"}";
  EXPECT_EQ(parse_json_object(request).error().code, ErrorCode::invalid_utf8);
  request.body = std::string(10000, '[');
  EXPECT_EQ(parse_json_object(request).error().code, ErrorCode::invalid_json);
  request.body = "";
  EXPECT_FALSE(parse_json_object(request).ok());
}

TEST(Message, AcceptAndHeadersIgnoreCase) {
  Request request;
  request.headers["accept"] = "application/json, Text/Event-Stream;q=0.9";
  EXPECT_TRUE(request.accepts("text/event-stream"));
  EXPECT_FALSE(request.accepts("text/html"));
  EXPECT_EQ(request.header("ACCEPT"), "application/json, Text/Event-Stream;q=0.9");
}

TEST(Message, ErrorResponsesAreJson) {
  const Response response = error_response(ErrorCode::payload_too_large, "too big");
  EXPECT_EQ(response.status, 413);
  const auto body = Json::parse(response.body);
  EXPECT_EQ(body["error"]["code"], "payload_too_large");
  EXPECT_EQ(body["error"]["message"], "too big");
}

TEST(EventStream, FormatsMultiLineDataAndQueuesInOrder) {
  EXPECT_EQ(format_event({"delta", "a\nb"}), "event: delta\ndata: a\ndata: b\n\n");
  EventStream stream;
  bool notified = false;
  stream.on_ready([&] { notified = true; });
  EXPECT_FALSE(notified);
  stream.push({"x", "1"});
  EXPECT_TRUE(notified);
  stream.push({"y", "2"});
  stream.close();
  stream.push({"z", "3"});  // after close: dropped
  EXPECT_EQ(stream.pop()->name, "x");
  EXPECT_EQ(stream.pop()->name, "y");
  EXPECT_FALSE(stream.pop().has_value());
  EXPECT_TRUE(stream.closed());
}

TEST(Framing, TransferEncodingAsRfc9112Says) {
  EXPECT_FALSE(framing_refusal(false, "", true));  // Content-Length alone
  EXPECT_FALSE(framing_refusal(false, "", false));
  EXPECT_FALSE(framing_refusal(true, "chunked", false));
  EXPECT_FALSE(framing_refusal(true, " Chunked ", false));
  EXPECT_EQ(framing_refusal(true, "chunked", true)->status, 400);   // both framings
  EXPECT_EQ(framing_refusal(true, "xchunked", true)->status, 400);
  EXPECT_EQ(framing_refusal(true, "xchunked", false)->status, 400);  // the last coding is not chunked
  EXPECT_EQ(framing_refusal(true, "chunked, identity", false)->status, 400);
  EXPECT_EQ(framing_refusal(true, "chunked,chunked", false)->status, 400);
  EXPECT_EQ(framing_refusal(true, "", false)->status, 400);
  const auto gzip = framing_refusal(true, "gzip, chunked", false);
  ASSERT_TRUE(gzip);
  EXPECT_EQ(gzip->status, 501);
  EXPECT_NE(gzip->body.find("not_implemented"), std::string::npos);
  EXPECT_NE(gzip->body.find("gzip"), std::string::npos);
}

}  // namespace
}  // namespace parley::http
