#include "llm/http_stream_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <spdlog/spdlog.h>

namespace parley::llm {
namespace {

using Clock = std::chrono::steady_clock;

struct Transfer {
  StreamRequest request;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  StreamResponseHead head;
  bool head_sent = false;
  bool got_body = false;
  std::size_t body_bytes = 0;
  std::string stop_reason;  // why we abandoned it
  Clock::time_point started = Clock::now();

  ~Transfer() {
    if (header_list != nullptr) curl_slist_free_all(header_list);
    if (easy != nullptr) curl_easy_cleanup(easy);
  }

  void send_head() {
    if (head_sent) return;
    head_sent = true;
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    head.status = static_cast<int>(status);
    char* type = nullptr;
    curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &type);
    if (type != nullptr) head.content_type = type;
    if (request.on_head) request.on_head(head);
  }
};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  const auto colon = line.find(':');
  if (colon != std::string_view::npos && lower(std::string(line.substr(0, colon))) == "retry-after") {
    std::string value(line.substr(colon + 1));
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t\r\n") + 1);
    transfer->head.retry_after = value;
  }
  return size * count;
}

std::size_t on_data(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  try {
    transfer->send_head();
    transfer->got_body = true;
    transfer->body_bytes += bytes;
    if (transfer->body_bytes > transfer->request.max_body_bytes) {
      transfer->stop_reason = "the response is larger than allowed";
      return 0;
    }
    if (transfer->request.on_body && !transfer->request.on_body(std::string_view(data, bytes))) {
      transfer->stop_reason = "stopped";
      return 0;
    }
  } catch (const std::exception& error) {
    // No exception may cross libcurl's C frames.
    transfer->stop_reason = std::string("stream handler failed: ") + error.what();
    return 0;
  }
  return bytes;
}

}  // namespace

class StreamingHttpClient::Impl {
 public:
  Impl() {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    multi_ = curl_multi_init();
    thread_ = std::thread([this] { loop(); });
  }

  ~Impl() {
    stopping_ = true;
    curl_multi_wakeup(multi_);
    thread_.join();
    curl_multi_cleanup(multi_);
  }

  void submit(StreamRequest request) {
    {
      std::lock_guard lock(mutex_);
      incoming_.push_back(std::move(request));
    }
    ++in_flight_;
    curl_multi_wakeup(multi_);
  }

  std::size_t in_flight() const { return in_flight_.load(); }

 private:
  void loop() {
    while (!stopping_) {
      admit();
      int running = 0;
      curl_multi_perform(multi_, &running);
      collect_finished();
      enforce_deadlines();
      curl_multi_poll(multi_, nullptr, 0, 50, nullptr);
    }
    for (auto& [easy, transfer] : active_) finish(*transfer, "client stopped");
    active_.clear();
    std::lock_guard lock(mutex_);
    for (auto& request : incoming_) {
      if (request.on_complete) request.on_complete("client stopped");
    }
    incoming_.clear();
  }

  void admit() {
    std::deque<StreamRequest> batch;
    {
      std::lock_guard lock(mutex_);
      batch.swap(incoming_);
    }
    for (auto& request : batch) {
      auto transfer = std::make_unique<Transfer>();
      transfer->request = std::move(request);
      CURL* easy = curl_easy_init();
      transfer->easy = easy;
      curl_easy_setopt(easy, CURLOPT_URL, transfer->request.url.c_str());
      for (const auto& header : transfer->request.headers) transfer->header_list = curl_slist_append(transfer->header_list, header.c_str());
      curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->header_list);
      if (!transfer->request.body.empty()) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, transfer->request.body.data());
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(transfer->request.body.size()));
      }
      curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
      curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(transfer->request.timeouts.connect.count()));
      curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(transfer->request.timeouts.total.count()));
      curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
      curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
      curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer.get());
      curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_data);
      curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer.get());
      curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer.get());
      curl_multi_add_handle(multi_, easy);
      active_.emplace(easy, std::move(transfer));
    }
  }

  void collect_finished() {
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      const CURLcode code = message->data.result;
      auto it = active_.find(easy);
      if (it == active_.end()) continue;
      Transfer& transfer = *it->second;
      std::string error;
      if (!transfer.stop_reason.empty()) {
        error = transfer.stop_reason;
      } else if (code == CURLE_OPERATION_TIMEDOUT) {
        error = "timed out";
      } else if (code != CURLE_OK) {
        error = curl_easy_strerror(code);
      }
      if (error.empty()) transfer.send_head();
      remove(it, error);
    }
  }

  // Cancellations and the time-to-first-byte limit, which libcurl has no option for.
  void enforce_deadlines() {
    const auto now = Clock::now();
    for (auto it = active_.begin(); it != active_.end();) {
      Transfer& transfer = *it->second;
      std::string reason;
      if (transfer.request.cancellation && transfer.request.cancellation->cancelled()) {
        reason = "cancelled";
      } else if (!transfer.got_body && now - transfer.started > transfer.request.timeouts.first_token) {
        reason = "no response before the first-token timeout";
      }
      if (reason.empty()) {
        ++it;
        continue;
      }
      it = remove(it, reason);
    }
  }

  using Active = std::unordered_map<CURL*, std::unique_ptr<Transfer>>;

  Active::iterator remove(Active::iterator it, const std::string& error) {
    curl_multi_remove_handle(multi_, it->first);
    finish(*it->second, error);
    return active_.erase(it);
  }

  void finish(Transfer& transfer, const std::string& error) {
    --in_flight_;
    if (!transfer.request.on_complete) return;
    try {
      transfer.request.on_complete(error);
    } catch (const std::exception& exception) {
      spdlog::error("llm stream completion handler threw: {}", exception.what());
    }
  }

  CURLM* multi_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> in_flight_{0};
  std::mutex mutex_;
  std::deque<StreamRequest> incoming_;
  Active active_;
};

StreamingHttpClient::StreamingHttpClient() : impl_(std::make_unique<Impl>()) {}
StreamingHttpClient::~StreamingHttpClient() = default;
void StreamingHttpClient::submit(StreamRequest request) { impl_->submit(std::move(request)); }
std::size_t StreamingHttpClient::in_flight() const { return impl_->in_flight(); }

StreamingHttpClient& StreamingHttpClient::shared() {
  static StreamingHttpClient client;
  return client;
}

}  // namespace parley::llm
