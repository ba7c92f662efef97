// Streaming HTTP POSTs for remote model providers: every transfer of the process runs on one thread through
// libcurl's multi interface, so hundreds of concurrent streaming answers cost one thread, not hundreds. Each
// transfer has a connect timeout, a time-to-first-byte timeout, a total timeout and a body cap, follows no
// redirects, and stops as soon as its caller cancels.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "llm/types.h"

namespace parley::llm {

struct StreamResponseHead {
  int status = 0;
  std::string content_type;
  std::string retry_after;  // the Retry-After header, if any
};

struct StreamRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent as POST; GET when empty
  Timeouts timeouts;
  std::size_t max_body_bytes = 8u << 20;
  // Called once when the response headers are complete.
  std::function<void(const StreamResponseHead&)> on_head;
  // Called with each piece of the body; returning false abandons the transfer (outcome "stopped").
  std::function<bool(std::string_view)> on_body;
  // Called exactly once at the end: an empty error when the whole response arrived.
  std::function<void(const std::string& error)> on_complete;
  std::shared_ptr<const Cancellation> cancellation;
};

class StreamingHttpClient {
 public:
  StreamingHttpClient();
  ~StreamingHttpClient();  // abandons transfers in flight (their on_complete runs with "client stopped")
  StreamingHttpClient(const StreamingHttpClient&) = delete;
  StreamingHttpClient& operator=(const StreamingHttpClient&) = delete;

  void submit(StreamRequest request);
  std::size_t in_flight() const;

  // The process-wide client, started on first use.
  static StreamingHttpClient& shared();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::llm
