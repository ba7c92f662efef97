#include "llm/remote_provider.h"

#include <charconv>
#include <ctime>

#include "llm/sse_parser.h"

namespace parley::llm {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxErrorBody = 64 * 1024;

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

ErrorCode code_for_status(int status) {
  if (status == 429) return ErrorCode::rate_limited;
  if (status == 408 || status == 504) return ErrorCode::timeout;
  if (status >= 500 || status == 401 || status == 403 || status == 404) return ErrorCode::unavailable;
  return ErrorCode::invalid_request;  // 400, 422: our request was refused; retrying will not help
}

// The life of one streamed response: shared by the client's callbacks (on its thread).
struct Exchange {
  RemoteProviderConfig config;
  const WireProtocol* protocol;
  GenerationSink sink;
  SseParser parser;
  StreamState state;
  StreamResponseHead head;
  std::string error_body;  // of a non-2xx response
  Clock::time_point started = Clock::now();
  double first_token_ms = 0;
  std::string model;

  bool success_status() const { return head.status >= 200 && head.status < 300; }

  bool on_body(std::string_view bytes) {
    if (!success_status()) {
      error_body.append(bytes.substr(0, kMaxErrorBody - std::min(kMaxErrorBody, error_body.size())));
      return error_body.size() < kMaxErrorBody;
    }
    if (head.content_type.find("text/event-stream") == std::string::npos) {
      state.error = make_error(ErrorCode::unavailable, config.name + " answered with " +
                                                          (head.content_type.empty() ? "no content type" : head.content_type) +
                                                          " instead of an event stream");
      return false;
    }
    const bool within_limits = parser.feed(bytes, [&](const SseEvent& event) { apply(event); });
    if (!within_limits) state.error = make_error(ErrorCode::unavailable, config.name + " sent an oversized event");
    return within_limits && !state.error && !state.finished;
  }

  void apply(const SseEvent& event) {
    if (state.error || state.finished) return;
    const std::string text = protocol->apply(event.event, event.data, state);
    if (text.empty()) return;
    if (state.text.empty()) first_token_ms = elapsed_ms(started);
    state.text += text;
    if (sink.on_delta) sink.on_delta(text);
  }

  void complete(const std::string& transport_error) {
    GenerationOutcome outcome;
    outcome.result.text = state.text;
    outcome.result.usage = state.usage;
    outcome.result.provider = config.name;
    outcome.result.model = model;
    outcome.result.first_token_ms = first_token_ms;
    outcome.result.total_ms = elapsed_ms(started);
    outcome.result.finish_reason = state.finish_reason.empty() ? "stop" : state.finish_reason;
    if (head.status != 0 && !success_status()) {
      const std::string detail = protocol->error_message(error_body);
      outcome.error = make_error(code_for_status(head.status), config.name + " answered HTTP " + std::to_string(head.status) +
                                                                   (detail.empty() ? "" : ": " + detail));
      outcome.retry_after = parse_retry_after(head.retry_after);
    } else if (state.error) {
      outcome.error = state.error;
    } else if (!transport_error.empty() && !state.finished) {
      const bool cancelled = transport_error == "cancelled";
      outcome.error = make_error(cancelled ? ErrorCode::unavailable
                                 : transport_error.find("timed out") != std::string::npos ||
                                           transport_error.find("timeout") != std::string::npos
                                     ? ErrorCode::timeout
                                     : ErrorCode::unavailable,
                                 config.name + ": " + transport_error);
      if (cancelled) outcome.result.finish_reason = "cancelled";
    } else if (!state.finished) {
      parser.finish([&](const SseEvent& event) { apply(event); });
      if (!state.finished) {
        outcome.error = make_error(ErrorCode::unavailable, config.name + " ended the stream before the answer was complete");
      }
    }
    if (outcome.error && outcome.result.finish_reason == "stop") outcome.result.finish_reason = "error";
    sink.on_done(std::move(outcome));
  }
};

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) {
  if (value.empty()) return std::nullopt;
  double seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size() && seconds >= 0) {
    return std::chrono::milliseconds(static_cast<long long>(std::min(seconds, 86'400.0) * 1000));
  }
  std::tm tm{};
  const std::string text(value);
  if (strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) return std::nullopt;
  const auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
  const auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(when - std::chrono::system_clock::now());
  return std::max(delay, std::chrono::milliseconds(0));
}

RemoteProvider::RemoteProvider(RemoteProviderConfig config, StreamingHttpClient& client)
    : config_(std::move(config)),
      client_(client),
      protocol_(config_.format == WireFormat::anthropic ? anthropic_protocol() : openai_protocol()) {}

void RemoteProvider::generate(const GenerationRequest& request, GenerationSink sink,
                              std::shared_ptr<const Cancellation> cancellation) {
  auto exchange = std::make_shared<Exchange>();
  exchange->config = config_;
  exchange->protocol = &protocol_;
  exchange->sink = std::move(sink);
  exchange->model = request.model.empty() ? config_.default_model : request.model;
  GenerationRequest resolved = request;
  resolved.model = exchange->model;

  StreamRequest http;
  http.url = protocol_.endpoint(config_);
  http.headers = protocol_.headers(config_);
  // The request id is checked where it was accepted (common/logging.h): no header injection through it.
  if (!request.request_id.empty()) http.headers.push_back("X-Request-Id: " + request.request_id);
  http.body = protocol_.body(config_, resolved);
  http.timeouts = config_.timeouts;
  http.cancellation = std::move(cancellation);
  http.on_head = [exchange](const StreamResponseHead& head) { exchange->head = head; };
  http.on_body = [exchange](std::string_view bytes) { return exchange->on_body(bytes); };
  http.on_complete = [exchange](const std::string& error) { exchange->complete(error); };
  client_.submit(std::move(http));
}

}  // namespace parley::llm
