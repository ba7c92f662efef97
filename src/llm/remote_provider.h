// Providers reached over HTTP: OpenAI-compatible Chat Completions (OpenAI, vLLM, llama.cpp server, Ollama,
// LM Studio, another Parley) and Anthropic Messages. Both stream Server-Sent Events; what differs is the request
// body and the events, which a WireProtocol describes. Everything a server can get wrong — an error status, a
// wrong content type, malformed events, a stream that stops mid-answer, 429 with Retry-After — ends as an error
// outcome (with the text streamed so far), never as an exception or a hang.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "llm/http_stream_client.h"
#include "llm/provider.h"

namespace parley::llm {

enum class WireFormat { openai, anthropic };

struct RemoteProviderConfig {
  std::string name;          // how routing and accounting refer to it ("openai", "vllm-lan", ...)
  WireFormat format = WireFormat::openai;
  std::string base_url;      // e.g. https://api.openai.com/v1 or https://api.anthropic.com/v1
  std::string api_key;       // resolved secret; never logged
  std::string default_model;
  std::map<std::string, std::string> extra_headers;
  Timeouts timeouts;
  bool local = false;        // a server on this machine or network: text does not leave the operator's hands
  // Prices per million tokens, for cost accounting and spend caps.
  double input_price_per_mtok = 0;
  double output_price_per_mtok = 0;
};

// What a streamed response has said so far; filled by the wire protocol.
struct StreamState {
  std::string text;
  std::string finish_reason;
  Usage usage;
  bool finished = false;  // the protocol's end marker arrived ([DONE], message_stop)
  std::optional<Error> error;  // an error event inside the stream
};

class WireProtocol {
 public:
  virtual ~WireProtocol() = default;
  virtual std::string endpoint(const RemoteProviderConfig& config) const = 0;
  virtual std::vector<std::string> headers(const RemoteProviderConfig& config) const = 0;
  virtual std::string body(const RemoteProviderConfig& config, const GenerationRequest& request) const = 0;
  // Applies one event; returns the text it adds (may be empty). Malformed events set state.error.
  virtual std::string apply(const std::string& event_name, const std::string& data, StreamState& state) const = 0;
  // The message of an error response body (JSON), for the operator.
  virtual std::string error_message(std::string_view body) const = 0;
};

const WireProtocol& openai_protocol();
const WireProtocol& anthropic_protocol();

class RemoteProvider final : public Provider {
 public:
  explicit RemoteProvider(RemoteProviderConfig config, StreamingHttpClient& client = StreamingHttpClient::shared());

  const std::string& name() const override { return config_.name; }
  bool is_local() const override { return config_.local; }
  const RemoteProviderConfig& config() const { return config_; }
  void generate(const GenerationRequest& request, GenerationSink sink,
                std::shared_ptr<const Cancellation> cancellation) override;

 private:
  RemoteProviderConfig config_;
  StreamingHttpClient& client_;
  const WireProtocol& protocol_;
};

// A Retry-After value (delay seconds or an HTTP date) as a duration; nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value);

}  // namespace parley::llm
