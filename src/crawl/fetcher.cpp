#include "crawl/fetcher.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace parley::crawl {
namespace {

std::once_flag curl_initialised;

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

bool header_is(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  }
  return true;
}

std::string megabytes(std::size_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MB"; }

bool in_network(const boost::asio::ip::address_v4& address, std::uint32_t network, int prefix) {
  const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return (address.to_uint() & mask) == (network & mask);
}

bool is_private_v4(const boost::asio::ip::address_v4& address) {
  struct Network {
    std::uint32_t base;
    int prefix;
  };
  static constexpr Network kNotPublic[] = {
      {0x00000000, 8},   // "this network"
      {0x0A000000, 8},   // 10/8 private
      {0x64400000, 10},  // 100.64/10 carrier-grade NAT
      {0x7F000000, 8},   // loopback
      {0xA9FE0000, 16},  // 169.254/16 link-local (cloud metadata)
      {0xAC100000, 12},  // 172.16/12 private
      {0xC0000000, 24},  // 192.0.0/24 IETF protocol assignments
      {0xC0A80000, 16},  // 192.168/16 private
      {0xC6120000, 15},  // 198.18/15 benchmarking
      {0xE0000000, 4},   // multicast
      {0xF0000000, 4},   // reserved, broadcast
  };
  return std::any_of(std::begin(kNotPublic), std::end(kNotPublic),
                     [&](const Network& network) { return in_network(address, network.base, network.prefix); });
}

}  // namespace

std::optional<std::string> private_address_of(std::string_view host) {
  std::string name(host);
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
  boost::system::error_code error;
  const auto literal = boost::asio::ip::make_address(name, error);
  if (!error) return is_private_address(literal) ? std::optional<std::string>(literal.to_string()) : std::nullopt;
  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver(io);
  const auto results = resolver.resolve(name, "", error);
  if (error) return std::nullopt;
  for (const auto& entry : results) {
    const auto address = entry.endpoint().address();
    if (is_private_address(address)) return address.to_string();
  }
  return std::nullopt;
}

bool is_private_address(const boost::asio::ip::address& address) {
  if (address.is_v4()) return is_private_v4(address.to_v4());
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return is_private_v4(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
  const auto bytes = v6.to_bytes();
  // 64:ff9b::/96, NAT64: the IPv4 address in the last four bytes is the one reached.
  static constexpr unsigned char kNat64[12] = {0x00, 0x64, 0xff, 0x9b};
  if (std::equal(bytes.begin(), bytes.begin() + 12, std::begin(kNat64))) {
    return is_private_v4(boost::asio::ip::address_v4({bytes[12], bytes[13], bytes[14], bytes[15]}));
  }
  const bool unique_local = (bytes[0] & 0xfe) == 0xfc;  // fc00::/7
  return v6.is_unspecified() || v6.is_loopback() || v6.is_link_local() || v6.is_site_local() || v6.is_multicast() ||
         unique_local || v6.is_v4_compatible();
}

class Fetcher::Impl {
 public:
  explicit Impl(FetchOptions options) : options_(std::move(options)) {
    std::call_once(curl_initialised, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    multi_ = curl_multi_init();
  }

  ~Impl() {
    cancel_all();
    curl_multi_cleanup(multi_);
  }

  void start(FetchRequest request) {
    auto transfer = std::make_unique<Transfer>();
    transfer->owner = this;
    transfer->response.tag = request.tag;
    transfer->response.url = request.url;
    transfer->started = std::chrono::steady_clock::now();
    CURL* easy = curl_easy_init();
    transfer->easy = easy;
    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");  // gzip/deflate/br as libcurl supports; sizes count decoded
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_bytes);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.low_speed_window.count()));
    curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_body_bytes));
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Impl::on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer.get());
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Impl::on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer.get());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer.get());
    if (!options_.allow_private_addresses) {
      curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &Impl::open_socket);
      curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, transfer.get());
    }
    if (!request.if_none_match.empty()) {
      transfer->headers = curl_slist_append(transfer->headers, ("If-None-Match: " + request.if_none_match).c_str());
    }
    if (!request.if_modified_since.empty()) {
      transfer->headers = curl_slist_append(transfer->headers, ("If-Modified-Since: " + request.if_modified_since).c_str());
    }
    for (const auto& header : request.headers) transfer->headers = curl_slist_append(transfer->headers, header.c_str());
    if (request.method == "POST") {
      transfer->request_body = std::move(request.body);
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(transfer->request_body.size()));
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, transfer->request_body.data());
      // No "Expect: 100-continue" round trip before larger bodies.
      transfer->headers = curl_slist_append(transfer->headers, "Expect:");
    }
    if (transfer->headers != nullptr) curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->headers);
    curl_multi_add_handle(multi_, easy);
    transfers_.emplace(easy, std::move(transfer));
  }

  std::vector<FetchResponse> poll(std::chrono::milliseconds wait) {
    std::vector<FetchResponse> done;
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      int running = 0;
      curl_multi_perform(multi_, &running);
      collect(done);
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (!done.empty() || transfers_.empty() || left.count() <= 0) break;
      curl_multi_poll(multi_, nullptr, 0, static_cast<int>(std::min<std::int64_t>(left.count(), 100)), nullptr);
    }
    return done;
  }

  std::size_t in_flight() const { return transfers_.size(); }

  void cancel_all() {
    for (auto& [easy, transfer] : transfers_) {
      curl_multi_remove_handle(multi_, easy);
      release(*transfer);
    }
    transfers_.clear();
  }

 private:
  struct Transfer {
    Impl* owner = nullptr;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    std::string request_body;  // a POST's body: libcurl reads it from here while the transfer runs
    FetchResponse response;
    std::chrono::steady_clock::time_point started;
    bool checked_type = false;
    std::string stop_reason;  // set when a callback stopped the transfer on purpose
  };

  // libcurl asks for each connection's socket once the address is known: the place to refuse one that is not
  // public (FetchOptions::allow_private_addresses).
  static curl_socket_t open_socket(void* user, curlsocktype, curl_sockaddr* target) {
    auto& transfer = *static_cast<Transfer*>(user);
    std::optional<boost::asio::ip::address> address;
    if (target->family == AF_INET && target->addrlen >= sizeof(sockaddr_in)) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&target->addr);
      address = boost::asio::ip::address_v4(ntohl(in->sin_addr.s_addr));
    } else if (target->family == AF_INET6 && target->addrlen >= sizeof(sockaddr_in6)) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&target->addr);
      boost::asio::ip::address_v6::bytes_type bytes;
      std::copy(std::begin(in6->sin6_addr.s6_addr), std::end(in6->sin6_addr.s6_addr), bytes.begin());
      address = boost::asio::ip::address_v6(bytes);
    }
    if (!address || is_private_address(*address)) {
      transfer.stop_reason = "refused to connect to " + (address ? address->to_string() : std::string("a non-IP address")) +
                             ": not a public internet address (parley.toml [network] allow_private_addresses allows "
                             "private networks)";
      return CURL_SOCKET_BAD;
    }
    return ::socket(target->family, target->socktype, target->protocol);
  }

  static void release(Transfer& transfer) {
    curl_easy_cleanup(transfer.easy);
    curl_slist_free_all(transfer.headers);
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto& transfer = *static_cast<Transfer*>(user);
    const std::string_view line = trim(std::string_view(data, size * count));
    FetchResponse& response = transfer.response;
    if (line.starts_with("HTTP/")) {  // a new response (after "100 Continue"): forget the previous headers
      response.content_type.clear();
      response.location.clear();
      response.etag.clear();
      response.last_modified.clear();
    } else if (header_is(line, "content-type")) {
      response.content_type = trim(line.substr(13));
    } else if (header_is(line, "location")) {
      response.location = trim(line.substr(9));
    } else if (header_is(line, "etag")) {
      response.etag = trim(line.substr(5));
    } else if (header_is(line, "last-modified")) {
      response.last_modified = trim(line.substr(14));
    }
    return size * count;
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto& transfer = *static_cast<Transfer*>(user);
    const Impl& self = *transfer.owner;
    const std::size_t bytes = size * count;
    if (!transfer.checked_type) {
      transfer.checked_type = true;
      long status = 0;
      curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &status);
      if (status >= 200 && status < 300 && self.options_.accepts_content_type &&
          !self.options_.accepts_content_type(transfer.response.content_type)) {
        transfer.stop_reason = "unsupported content type " + transfer.response.content_type;
        return 0;
      }
    }
    if (transfer.response.body.size() + bytes > self.options_.max_body_bytes) {
      transfer.stop_reason = "larger than " + megabytes(self.options_.max_body_bytes);
      return 0;
    }
    // No exception may cross libcurl's C frames.
    try {
      transfer.response.body.append(data, bytes);
    } catch (const std::bad_alloc&) {
      transfer.stop_reason = "out of memory";
      return 0;
    }
    return bytes;
  }

  void collect(std::vector<FetchResponse>& done) {
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      const CURLcode code = message->data.result;
      auto it = transfers_.find(easy);
      if (it == transfers_.end()) continue;
      Transfer& transfer = *it->second;
      FetchResponse& response = transfer.response;
      response.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - transfer.started);
      if (code == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        response.status = static_cast<int>(status);
      } else {
        response.status = 0;
        response.body.clear();
        response.error = describe_failure(code, transfer);
      }
      curl_multi_remove_handle(multi_, easy);
      release(transfer);
      done.push_back(std::move(response));
      transfers_.erase(it);
    }
  }

  std::string describe_failure(CURLcode code, const Transfer& transfer) const {
    if (!transfer.stop_reason.empty()) return transfer.stop_reason;
    switch (code) {
      case CURLE_OPERATION_TIMEDOUT: {
        // libcurl reports the total timeout and the minimum speed alike; the elapsed time tells them apart.
        if (transfer.response.elapsed < options_.timeout - std::chrono::milliseconds(50)) {
          return "too slow: under " + std::to_string(options_.low_speed_bytes) + " bytes/s for " +
                 std::to_string(options_.low_speed_window.count()) + " s";
        }
        return "timed out after " + std::to_string(options_.timeout.count()) + " ms";
      }
      case CURLE_FILESIZE_EXCEEDED:
        return "larger than " + megabytes(options_.max_body_bytes) + " (declared Content-Length)";
      case CURLE_PARTIAL_FILE:
        return "the server closed the connection before sending the whole body (its Content-Length was wrong)";
      case CURLE_COULDNT_RESOLVE_HOST: return "the host name could not be resolved";
      case CURLE_COULDNT_CONNECT: return "the server refused the connection";
      case CURLE_GOT_NOTHING: return "the server closed the connection without answering";
      case CURLE_RECV_ERROR: return "the connection broke while receiving";
      case CURLE_WEIRD_SERVER_REPLY: return "the server's reply is not HTTP";
      case CURLE_BAD_CONTENT_ENCODING: return "the compressed body is corrupt";
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_PEER_FAILED_VERIFICATION: return "TLS failed: " + std::string(curl_easy_strerror(code));
      default: return curl_easy_strerror(code);
    }
  }

  FetchOptions options_;
  CURLM* multi_ = nullptr;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers_;
};

Fetcher::Fetcher(FetchOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Fetcher::~Fetcher() = default;
void Fetcher::start(FetchRequest request) { impl_->start(std::move(request)); }
std::vector<FetchResponse> Fetcher::poll(std::chrono::milliseconds wait) { return impl_->poll(wait); }
std::size_t Fetcher::in_flight() const { return impl_->in_flight(); }
void Fetcher::cancel_all() { impl_->cancel_all(); }

FetchResponse Fetcher::fetch(FetchRequest request, const std::function<bool()>& stop) {
  const std::uint64_t tag = request.tag;
  FetchResponse abandoned;
  abandoned.tag = tag;
  abandoned.url = request.url;
  abandoned.error = "stopped";
  impl_->start(std::move(request));
  for (;;) {
    for (auto& response : impl_->poll(std::chrono::milliseconds(100))) {
      if (response.tag == tag) return response;
    }
    if (stop && stop()) {
      impl_->cancel_all();
      return abandoned;
    }
  }
}

}  // namespace parley::crawl
