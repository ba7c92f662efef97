// Transport-neutral request and response values that handlers see; the server converts to and from Beast.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "http/event_stream.h"

namespace parley::http {

using Json = nlohmann::json;

struct CaseInsensitiveLess {
  bool operator()(std::string_view a, std::string_view b) const;
  using is_transparent = void;
};

using Headers = std::map<std::string, std::string, CaseInsensitiveLess>;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as received: path and query
  std::string path;    // decoded path without the query
  std::map<std::string, std::string> query;
  Headers headers;
  std::string body;
  std::string remote_address;
  std::map<std::string, std::string> params;  // path parameters filled in by the router ("bot_id")
  bool screened = false;  // set by the server once Router::screen let the request through
  // The client's X-Request-Id when acceptable, else a fresh one; the response and every log line of the request
  // carry it (common/logging.h).
  std::string request_id;

  std::string_view header(std::string_view name) const;
  // True when the Accept header names `type` (media-type parameters and q-values are not weighed).
  bool accepts(std::string_view type) const;
};

class DeferredResponse;

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // When set, the body is this stream of Server-Sent Events (sent chunked, flushed per event).
  std::shared_ptr<EventStream> events;
  // When set, the real response comes later through this (see DeferredResponse); of the fields above only the
  // headers count, added to the final response's own.
  std::shared_ptr<DeferredResponse> deferred;
};

// A response that another thread produces later (a model's answer that is not streamed), so that no worker
// thread sits waiting for it: the handler returns at once and the connection waits without a thread.
class DeferredResponse {
 public:
  // The first call wins; later calls are ignored.
  void resolve(Response response);
  // Connection side: the response once resolved.
  std::optional<Response> take();
  // Connection side: called (once) when resolved, at once if already; replaced on each wait.
  void on_ready(std::function<void()> notify);

 private:
  std::mutex mutex_;
  std::optional<Response> response_;
  bool resolved_ = false;
  std::function<void()> notify_;
};

Response json_response(int status, const Json& body);
Response error_response(const Error& error);
Response error_response(ErrorCode code, std::string message);
Response text_response(int status, std::string body, std::string content_type);

// The body parsed as a JSON object, with clear errors for invalid UTF-8, bad JSON, hostile nesting or a
// non-object.
Result<Json> parse_json_object(const Request& request);

// Percent-decoding of a URL component; '+' is a space only in queries. Fails on malformed escapes or invalid UTF-8.
Result<std::string> url_decode(std::string_view text, bool plus_is_space);

// Splits "a=1&b=two" into a map (last value wins).
Result<std::map<std::string, std::string>> parse_query(std::string_view query);

// How a request's body is framed, per RFC 9112 section 6: with Transfer-Encoding (`transfer_encoding`: every such
// field's value, joined by commas) the final coding must be chunked and chunked must appear once (else the body's
// end cannot be known: 400), chunked is the only coding implemented (others: 501), and Content-Length must not come
// as well (two framings are how requests are smuggled past a proxy: 400). The answer to send instead of reading the
// body, or nullopt when the framing is sound.
std::optional<Response> framing_refusal(bool has_transfer_encoding, std::string_view transfer_encoding,
                                        bool has_content_length);

}  // namespace parley::http
