#include "llm/http_stream_client.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <optional>
#include <unordered_set>
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

// One thread drives every transfer through libcurl's socket interface on epoll: each wake-up touches only the
// sockets that are ready, so hundreds of open streams cost nothing while they wait (curl_multi_perform + poll would
// walk all of them on every event).
class StreamingHttpClient::Impl {
 public:
  Impl() {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    multi_ = curl_multi_init();
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    wake_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = wake_;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &event);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
    thread_ = std::thread([this] { loop(); });
  }

  ~Impl() {
    stopping_ = true;
    wake();
    thread_.join();
    curl_multi_cleanup(multi_);
    close(wake_);
    close(epoll_);
  }

  void submit(StreamRequest request) {
    {
      std::lock_guard lock(mutex_);
      incoming_.push_back(std::move(request));
    }
    ++in_flight_;
    wake();
  }

  std::size_t in_flight() const { return in_flight_.load(); }

 private:
  // How often cancellations and first-token deadlines are checked.
  static constexpr auto kDeadlineCheck = std::chrono::milliseconds(20);

  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = write(wake_, &one, sizeof one);
  }

  // libcurl tells which events a socket needs (or that it is done with it).
  static int on_socket(CURL*, curl_socket_t socket, int what, void* user, void*) {
    auto* self = static_cast<Impl*>(user);
    if (what == CURL_POLL_REMOVE) {
      epoll_ctl(self->epoll_, EPOLL_CTL_DEL, socket, nullptr);
      self->watched_.erase(socket);
      return 0;
    }
    epoll_event event{};
    event.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    event.data.fd = socket;
    const bool known = self->watched_.contains(socket);
    epoll_ctl(self->epoll_, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, socket, &event);
    self->watched_.insert(socket);
    return 0;
  }

  // libcurl asks to be called back after `timeout_ms` (-1: no timer).
  static int on_timer(CURLM*, long timeout_ms, void* user) {
    auto* self = static_cast<Impl*>(user);
    self->timer_ = timeout_ms < 0 ? std::optional<Clock::time_point>()
                                  : std::optional<Clock::time_point>(Clock::now() + std::chrono::milliseconds(timeout_ms));
    return 0;
  }

  void loop() {
    std::array<epoll_event, 256> events{};
    auto next_deadline_check = Clock::now();
    while (!stopping_) {
      admit();
      auto now = Clock::now();
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_deadline_check - now);
      if (timer_) wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(*timer_ - now));
      const int ready = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()),
                                   static_cast<int>(std::max<std::int64_t>(0, wait.count())));
      int running = 0;
      for (int i = 0; i < ready; ++i) {
        const int fd = events[static_cast<std::size_t>(i)].data.fd;
        if (fd == wake_) {
          std::uint64_t count = 0;
          [[maybe_unused]] const auto read_bytes = read(wake_, &count, sizeof count);
          continue;
        }
        const auto flags = events[static_cast<std::size_t>(i)].events;
        int action = 0;
        if (flags & (EPOLLIN | EPOLLHUP)) action |= CURL_CSELECT_IN;
        if (flags & EPOLLOUT) action |= CURL_CSELECT_OUT;
        if (flags & EPOLLERR) action |= CURL_CSELECT_ERR;
        curl_multi_socket_action(multi_, fd, action, &running);
      }
      now = Clock::now();
      if (timer_ && *timer_ <= now) {
        timer_.reset();
        curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
      }
      collect_finished();
      if (now >= next_deadline_check) {
        enforce_deadlines();
        next_deadline_check = now + kDeadlineCheck;
      }
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
  int epoll_ = -1;
  int wake_ = -1;  // an eventfd: new requests and stopping wake the loop
  std::unordered_set<curl_socket_t> watched_;
  std::optional<Clock::time_point> timer_;
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
