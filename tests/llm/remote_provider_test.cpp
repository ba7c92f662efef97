// Remote providers against a loopback server replaying the OpenAI and Anthropic streaming wire formats, faults
// included: every fault ends as an error outcome with what was streamed so far, never a hang or a crash.
#include "llm/remote_provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>

#include "support/fake_provider.h"

namespace parley::llm {
namespace {

using parley::testing::FakeProvider;
using parley::testing::ProviderBehaviour;
using ::testing::HasSubstr;

class RemoteProviderTest : public ::testing::TestWithParam<WireFormat> {
 protected:
  RemoteProvider provider(std::chrono::milliseconds first_token = std::chrono::seconds(5)) {
    RemoteProviderConfig config;
    config.name = "fake";
    config.format = GetParam();
    config.base_url = fake_.base_url();
    config.api_key = "sk-test-secret";
    config.default_model = "model-x";
    config.extra_headers["X-Team"] = "support";
    config.timeouts.first_token = first_token;
    return RemoteProvider(config, client_);
  }

  GenerationOutcome run(RemoteProvider& remote, std::string* streamed = nullptr,
                        std::shared_ptr<Cancellation> cancellation = std::make_shared<Cancellation>()) {
    GenerationRequest request;
    request.messages = {{"system", "Be brief."}, {"user", "Hi?"}};
    request.max_tokens = 64;
    request.stop = {"\n\n"};
    auto done = std::make_shared<std::promise<GenerationOutcome>>();
    auto future = done->get_future();
    GenerationSink sink;
    sink.on_delta = [streamed](std::string_view text) {
      if (streamed) streamed->append(text);
    };
    sink.on_done = [done](GenerationOutcome outcome) { done->set_value(std::move(outcome)); };
    remote.generate(request, std::move(sink), cancellation);
    return future.get();
  }

  FakeProvider fake_;
  StreamingHttpClient client_;
};

TEST_P(RemoteProviderTest, StreamsTheAnswerWithUsageInTheRightWireFormat) {
  auto remote = provider();
  std::string streamed;
  const auto outcome = run(remote, &streamed);
  ASSERT_TRUE(outcome.ok()) << outcome.error->message;
  EXPECT_EQ(outcome.result.text, "Hello there, visitor.");
  EXPECT_EQ(streamed, outcome.result.text);
  EXPECT_EQ(outcome.result.finish_reason, "stop");
  EXPECT_EQ(outcome.result.usage.prompt_tokens, 42);
  EXPECT_EQ(outcome.result.usage.completion_tokens, 9);
  EXPECT_EQ(outcome.result.model, "model-x");
  EXPECT_GT(outcome.result.first_token_ms, 0);
  const auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& body = requests[0].body;
  EXPECT_EQ(body["model"], "model-x");
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["max_tokens"], 64);
  if (GetParam() == WireFormat::openai) {
    EXPECT_EQ(requests[0].path, "/v1/chat/completions");
    EXPECT_EQ(requests[0].authorization, "Bearer sk-test-secret");
    EXPECT_EQ(body["messages"][0]["role"], "system");
    EXPECT_EQ(body["stop"][0], "\n\n");
    EXPECT_EQ(body["stream_options"]["include_usage"], true);
  } else {
    EXPECT_EQ(requests[0].path, "/v1/messages");
    EXPECT_EQ(requests[0].api_key, "sk-test-secret");
    EXPECT_EQ(requests[0].anthropic_version, "2023-06-01");
    EXPECT_EQ(body["system"], "Be brief.");
    ASSERT_EQ(body["messages"].size(), 1u);  // the system prompt is not a message in this API
    EXPECT_EQ(body["stop_sequences"][0], "\n\n");
  }
}

TEST_P(RemoteProviderTest, ServerErrorsAreErrorsWithTheProvidersMessage) {
  auto remote = provider();
  fake_.set(ProviderBehaviour::http_500);
  const auto failed = run(remote);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error->code, ErrorCode::unavailable);
  EXPECT_THAT(failed.error->message, HasSubstr("upstream exploded"));
  EXPECT_THAT(failed.error->message, ::testing::Not(HasSubstr("sk-test-secret")));
}

TEST_P(RemoteProviderTest, RateLimitsCarryRetryAfter) {
  auto remote = provider();
  fake_.set(ProviderBehaviour::rate_limited);
  const auto limited = run(remote);
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error->code, ErrorCode::rate_limited);
  ASSERT_TRUE(limited.retry_after.has_value());
  EXPECT_EQ(limited.retry_after->count(), 2000);
}

TEST_P(RemoteProviderTest, WrongContentTypeMalformedEventsAndTruncatedStreamsFail) {
  auto remote = provider();
  fake_.set(ProviderBehaviour::wrong_content_type);
  auto outcome = run(remote);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.error->message, HasSubstr("text/html"));

  fake_.set(ProviderBehaviour::malformed_event);
  outcome = run(remote);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.error->message, HasSubstr("not JSON"));

  fake_.set(ProviderBehaviour::stops_mid_answer, "One two three four five six seven eight.");
  std::string streamed;
  outcome = run(remote, &streamed);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.error->message, HasSubstr("before the answer was complete"));
  EXPECT_FALSE(outcome.result.text.empty());  // what arrived is kept, so the caller can decide
  EXPECT_EQ(streamed, outcome.result.text);
}

TEST_P(RemoteProviderTest, AHangingProviderHitsTheFirstTokenTimeout) {
  auto remote = provider(std::chrono::milliseconds(300));
  fake_.set(ProviderBehaviour::hangs);
  const auto started = std::chrono::steady_clock::now();
  const auto outcome = run(remote);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error->code, ErrorCode::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST_P(RemoteProviderTest, CancellationStopsTheTransfer) {
  auto remote = provider();
  fake_.set(ProviderBehaviour::hangs);
  auto cancellation = std::make_shared<Cancellation>();
  std::thread canceller([cancellation] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancellation->cancel();
  });
  const auto outcome = run(remote, nullptr, cancellation);
  canceller.join();
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.result.finish_reason, "cancelled");
}

TEST_P(RemoteProviderTest, AnUnreachableProviderFailsFast) {
  RemoteProviderConfig config;
  config.name = "down";
  config.format = GetParam();
  config.base_url = "http://127.0.0.1:1/v1";
  RemoteProvider remote(config, client_);
  const auto outcome = run(remote);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error->code, ErrorCode::unavailable);
}

INSTANTIATE_TEST_SUITE_P(Formats, RemoteProviderTest, ::testing::Values(WireFormat::openai, WireFormat::anthropic),
                         [](const auto& param_info) { return param_info.param == WireFormat::openai ? "OpenAI" : "Anthropic"; });

TEST(RetryAfter, SecondsAndHttpDates) {
  EXPECT_EQ(parse_retry_after("3")->count(), 3000);
  EXPECT_EQ(parse_retry_after("0.5")->count(), 500);
  EXPECT_FALSE(parse_retry_after("soon").has_value());
  EXPECT_FALSE(parse_retry_after("").has_value());
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT")->count(), 0);  // in the past
}

}  // namespace
}  // namespace parley::llm
