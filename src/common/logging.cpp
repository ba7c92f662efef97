#include "common/logging.h"

#include <chrono>
#include <ctime>
#include <random>

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

namespace parley {
namespace {

thread_local std::string current_id;

// "[req <id>] " in text lines, nothing outside a request.
class RequestIdFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
    if (current_id.empty()) return;
    constexpr std::string_view open = "[req ";
    dest.append(open.data(), open.data() + open.size());
    dest.append(current_id.data(), current_id.data() + current_id.size());
    dest.push_back(']');
    dest.push_back(' ');
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<RequestIdFlag>(); }
};

// One JSON object per line: time (RFC 3339, UTC, milliseconds), level, message, request_id, thread.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& dest) override {
    const auto since_epoch = message.time.time_since_epoch();
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
    const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char time[40];
    const std::size_t length = std::strftime(time, sizeof time, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(time + length, sizeof time - length, ".%03lldZ", static_cast<long long>(millis % 1000));
    nlohmann::json line = {{"time", time},
                           {"level", std::string(spdlog::level::to_string_view(message.level).data(),
                                                 spdlog::level::to_string_view(message.level).size())},
                           {"message", std::string(message.payload.data(), message.payload.size())}};
    if (!current_id.empty()) line["request_id"] = current_id;
    line["thread"] = message.thread_id;
    // Invalid UTF-8 in a message (text quoted from a visitor) is replaced, never a reason to lose the line.
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

}  // namespace

std::string_view current_request_id() { return current_id; }

RequestScope::RequestScope(std::string id) : previous_(std::move(current_id)) { current_id = std::move(id); }
RequestScope::~RequestScope() { current_id = std::move(previous_); }

std::string new_request_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t bits = random();
  std::string id(16, '0');
  for (auto& c : id) {
    c = kHex[bits & 0xf];
    bits >>= 4;
  }
  return id;
}

bool acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool parse_log_format(std::string_view name, LogFormat& format) {
  if (name == "text") {
    format = LogFormat::text;
    return true;
  }
  if (name == "json") {
    format = LogFormat::json;
    return true;
  }
  return false;
}

void set_log_format(LogFormat format) {
  if (format == LogFormat::json) {
    spdlog::set_formatter(std::make_unique<JsonFormatter>());
    return;
  }
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<RequestIdFlag>('*').set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %*%v");
  spdlog::set_formatter(std::move(formatter));
}

}  // namespace parley
