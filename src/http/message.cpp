#include "http/message.h"

#include <algorithm>
#include <cctype>

#include "common/json_limits.h"
#include "common/utf8.h"

namespace parley::http {
namespace {

constexpr std::size_t kMaxJsonDepth = 32;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) < std::tolower(static_cast<unsigned char>(y));
  });
}

std::string_view Request::header(std::string_view name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string_view() : std::string_view(it->second);
}

bool Request::accepts(std::string_view type) const {
  const std::string_view accept = header("Accept");
  std::size_t start = 0;
  while (start < accept.size()) {
    std::size_t end = accept.find(',', start);
    if (end == std::string_view::npos) end = accept.size();
    std::string_view item = accept.substr(start, end - start);
    item = item.substr(0, item.find(';'));
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.size() == type.size() && std::equal(item.begin(), item.end(), type.begin(), [](char x, char y) {
          return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
        })) {
      return true;
    }
    start = end + 1;
  }
  return false;
}

Response json_response(int status, const Json& body) {
  Response response;
  response.status = status;
  response.headers["Content-Type"] = "application/json";
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

Response error_response(const Error& error) {
  return json_response(http_status(error.code),
                       {{"error", {{"code", std::string(error_code_name(error.code))}, {"message", error.message}}}});
}

Response error_response(ErrorCode code, std::string message) { return error_response(Error{code, std::move(message)}); }

Response text_response(int status, std::string body, std::string content_type) {
  Response response;
  response.status = status;
  response.headers["Content-Type"] = std::move(content_type);
  response.body = std::move(body);
  return response;
}

Result<Json> parse_json_object(const Request& request) {
  if (request.body.empty()) return make_error(ErrorCode::invalid_json, "the request body must be a JSON object");
  if (!is_valid_utf8(request.body)) return make_error(ErrorCode::invalid_utf8, "the request body is not valid UTF-8");
  if (json_nesting_exceeds(request.body, kMaxJsonDepth)) {
    return make_error(ErrorCode::invalid_json, "the JSON nests too deeply");
  }
  Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return make_error(ErrorCode::invalid_json, "the request body is not valid JSON");
  if (!body.is_object()) return make_error(ErrorCode::invalid_json, "the request body must be a JSON object");
  return body;
}

Result<std::string> url_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      const int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) return make_error(ErrorCode::invalid_request, "malformed percent-encoding in the URL");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  if (!is_valid_utf8(out)) return make_error(ErrorCode::invalid_utf8, "the URL is not valid UTF-8");
  return out;
}

std::optional<Response> framing_refusal(bool has_transfer_encoding, std::string_view transfer_encoding,
                                        bool has_content_length) {
  if (!has_transfer_encoding) return std::nullopt;
  if (has_content_length) {
    return error_response(ErrorCode::invalid_request, "a request may carry Transfer-Encoding or Content-Length, not both");
  }
  std::vector<std::string> codings;
  for (std::size_t start = 0; start <= transfer_encoding.size();) {
    const std::size_t comma = std::min(transfer_encoding.find(',', start), transfer_encoding.size());
    std::string_view coding = transfer_encoding.substr(start, comma - start);
    while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) coding.remove_prefix(1);
    while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) coding.remove_suffix(1);
    if (!coding.empty()) {
      std::string lowered(coding);
      for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      codings.push_back(std::move(lowered));
    }
    start = comma + 1;
  }
  if (codings.empty() || codings.back() != "chunked" || std::count(codings.begin(), codings.end(), "chunked") > 1) {
    return error_response(ErrorCode::invalid_request, "chunked must be the last transfer coding, and appear once");
  }
  for (const auto& coding : codings) {
    if (coding != "chunked") {
      // 501 has no ErrorCode of its own: only the transport uses it.
      return json_response(501, {{"error", {{"code", "not_implemented"},
                                            {"message", "the transfer coding \"" + coding + "\" is not supported"}}}});
    }
  }
  return std::nullopt;
}

Result<std::map<std::string, std::string>> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start < query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view pair = query.substr(start, end - start);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      PARLEY_ASSIGN_OR_RETURN(std::string key, url_decode(pair.substr(0, eq), true));
      std::string value;
      if (eq != std::string_view::npos) {
        PARLEY_ASSIGN_OR_RETURN(value, url_decode(pair.substr(eq + 1), true));
      }
      out[std::move(key)] = std::move(value);
    }
    start = end + 1;
  }
  return out;
}

void DeferredResponse::resolve(Response response) {
  std::function<void()> notify;
  {
    std::lock_guard lock(mutex_);
    if (resolved_) return;
    resolved_ = true;
    response_ = std::move(response);
    notify = std::move(notify_);
    notify_ = nullptr;
  }
  if (notify) notify();
}

std::optional<Response> DeferredResponse::take() {
  std::lock_guard lock(mutex_);
  std::optional<Response> out = std::move(response_);
  response_.reset();
  return out;
}

void DeferredResponse::on_ready(std::function<void()> notify) {
  {
    std::lock_guard lock(mutex_);
    if (!resolved_) {
      notify_ = std::move(notify);
      return;
    }
  }
  notify();
}

}  // namespace parley::http
