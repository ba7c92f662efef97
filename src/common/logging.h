// Log lines that say which request they belong to. A request id is set for the current thread by a RequestScope
// (the HTTP server opens one per request; code that continues a request on another thread — a model's callbacks,
// the recorder, the webhook sender — opens one with the id it carried along), and every log line written meanwhile
// carries it: as "request_id" in JSON logs (`--log-format json`, one object per line for log shippers), as
// "[req …]" in text logs.
#pragma once

#include <string>
#include <string_view>

namespace parley {

// The current thread's request id ("" outside a request).
std::string_view current_request_id();

// Sets the current thread's request id for its lifetime (the previous one comes back after it).
class RequestScope {
 public:
  explicit RequestScope(std::string id);
  ~RequestScope();
  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;

 private:
  std::string previous_;
};

// A fresh id: 16 lower-case hex digits.
std::string new_request_id();
// Whether a client's X-Request-Id may be adopted: 1 to 64 characters of [A-Za-z0-9._:-].
bool acceptable_request_id(std::string_view id);

enum class LogFormat { text, json };
// "text" or "json" into `format`; false for anything else.
bool parse_log_format(std::string_view name, LogFormat& format);
// Formats the default logger's lines as `format` (both include the request id when there is one).
void set_log_format(LogFormat format);

}  // namespace parley
