// Concurrent HTTP requests (GETs; POSTs for webhook deliveries) over libcurl's multi interface, driven from one thread (the crawl's): no redirects are
// followed (the crawler decides where a redirect may lead), and every transfer is bounded — total time, a minimum
// speed, the body size (checked against Content-Length up front and against the bytes as they arrive, after
// decompression), and the content type (checked when the headers arrive, before the body is read).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace parley::crawl {

struct FetchOptions {
  std::string user_agent = "ParleyBot/0.1";
  std::size_t max_body_bytes = 16u << 20;
  std::chrono::milliseconds timeout{30'000};          // the whole transfer
  std::chrono::milliseconds connect_timeout{10'000};
  // A transfer slower than this many bytes per second for `low_speed_window` is abandoned.
  long low_speed_bytes = 256;
  std::chrono::seconds low_speed_window{10};
  // Decides from a 2xx response's Content-Type (possibly empty) whether its body is worth reading.
  std::function<bool(std::string_view content_type)> accepts_content_type;
  // Addresses are checked when the connection is made (after DNS, so a name that resolves to an internal address
  // is caught too): by default only public ones are reached. Crawl URLs and webhook targets come from workspace
  // admins, and this machine's own services, the private network and cloud metadata endpoints
  // (169.254.169.254) must not become readable through a bot's knowledge. The operator may allow them
  // (parley.toml [network] allow_private_addresses) for an intranet site; tests on loopback do.
  bool allow_private_addresses = false;
};

// Whether `address` is not on the public internet: unspecified, loopback, private (RFC 1918, unique local),
// carrier-grade NAT, link-local, benchmarking, multicast or reserved; IPv4 addresses inside IPv6 (mapped,
// NAT64) are judged by their IPv4 part.
bool is_private_address(const boost::asio::ip::address& address);

// The first address of `host` (an IP literal, or a name looked up in DNS now) that is not on the public internet,
// to tell a person before anything is sent there; nullopt when there is none or the name cannot be looked up.
std::optional<std::string> private_address_of(std::string_view host);

struct FetchRequest {
  std::uint64_t tag = 0;  // the caller's handle, returned with the response
  std::string url;
  std::string if_none_match;      // a previous ETag
  std::string if_modified_since;  // a previous Last-Modified
  std::string method = "GET";     // "GET", or "POST" to send `body`
  std::string body = {};
  std::vector<std::string> headers = {};  // more request headers, "Name: value"
};

struct FetchResponse {
  std::uint64_t tag = 0;
  std::string url;
  int status = 0;     // 0 when no complete HTTP response arrived (see error)
  std::string error;  // why the transfer failed or was stopped; empty on success
  std::string content_type;
  std::string location;  // of a redirect
  std::string etag;
  std::string last_modified;
  std::string body;
  std::chrono::milliseconds elapsed{0};
};

class Fetcher {
 public:
  explicit Fetcher(FetchOptions options);
  ~Fetcher();
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  void start(FetchRequest request);
  // Moves transfers along for up to `wait`, returning as soon as some have finished; returns the finished ones.
  std::vector<FetchResponse> poll(std::chrono::milliseconds wait);
  std::size_t in_flight() const;
  // Abandons every transfer in flight.
  void cancel_all();

  // One GET, start to finish (robots.txt, sitemaps), on a fetcher with nothing else in flight; abandoned (error
  // "stopped") as soon as `stop` says so.
  FetchResponse fetch(FetchRequest request, const std::function<bool()>& stop = {});

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::crawl
