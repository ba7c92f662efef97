// The language-model vocabulary shared by providers, routing and the chat pipeline.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace parley::llm {

struct ChatMessage {
  std::string role;  // system | user | assistant
  std::string content;
};

struct GenerationRequest {
  std::string model;  // the provider's model name; empty: the provider's default
  std::vector<ChatMessage> messages;
  int max_tokens = 512;
  double temperature = 0.2;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> stop;
  // The HTTP request this generation serves (common/logging.h): in log lines on the provider's threads, and sent
  // upstream as X-Request-Id.
  std::string request_id;
};

struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
};

struct GenerationResult {
  std::string text;
  std::string finish_reason;  // stop | length | cancelled | error
  Usage usage;
  std::string provider;
  std::string model;
  double first_token_ms = 0;  // from the request to the first text
  double total_ms = 0;
};

// Set by whoever no longer wants the answer (the visitor left); providers stop as soon as they notice.
class Cancellation {
 public:
  void cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

 private:
  std::atomic<bool> cancelled_{false};
};

// How a generation ended: what was produced (possibly partial), and the failure if it failed.
struct GenerationOutcome {
  GenerationResult result;
  std::optional<Error> error;
  std::optional<std::chrono::milliseconds> retry_after;  // a provider's Retry-After (429/503)
  bool ok() const { return !error.has_value(); }
  bool streamed_text() const { return !result.text.empty(); }
};

// Receives a generation as it happens. `on_delta` may run on a provider's thread; `on_done` runs exactly once.
struct GenerationSink {
  std::function<void(std::string_view text)> on_delta;
  std::function<void(GenerationOutcome outcome)> on_done;
};

struct Timeouts {
  std::chrono::milliseconds connect{5'000};
  std::chrono::milliseconds first_token{20'000};
  std::chrono::milliseconds total{120'000};
};

}  // namespace parley::llm
