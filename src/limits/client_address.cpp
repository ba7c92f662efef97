#include "limits/client_address.h"

#include <algorithm>
#include <charconv>
#include <optional>

namespace parley::limits {
namespace asio_ip = boost::asio::ip;

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// An address as X-Forwarded-For may write it: bare, "[v6]", "[v6]:port" or "v4:port".
std::optional<asio_ip::address> parse_forwarded(std::string_view entry) {
  entry = trim(entry);
  if (entry.starts_with('[')) {
    const auto close = entry.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    entry = entry.substr(1, close - 1);
  } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
    entry = entry.substr(0, entry.find(':'));
  }
  boost::system::error_code error;
  auto address = asio_ip::make_address(std::string(entry), error);
  if (error) return std::nullopt;
  // "::ffff:1.2.3.4" is the IPv4 client seen through a dual-stack socket.
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio_ip::address(asio_ip::make_address_v4(asio_ip::v4_mapped, address.to_v6()));
  }
  return address;
}

bool in_network(const asio_ip::address& address, const asio_ip::address& base, unsigned prefix) {
  if (address.is_v4() != base.is_v4()) return false;
  const auto compare = [&](const auto& a, const auto& b) {
    for (std::size_t i = 0; i < a.size(); ++i) {
      const unsigned bits = prefix > i * 8 ? std::min(8u, prefix - static_cast<unsigned>(i * 8)) : 0u;
      const unsigned mask = bits == 0 ? 0u : (0xFFu << (8 - bits)) & 0xFFu;
      if ((a[i] & mask) != (b[i] & mask)) return false;
    }
    return true;
  };
  return address.is_v4() ? compare(address.to_v4().to_bytes(), base.to_v4().to_bytes())
                         : compare(address.to_v6().to_bytes(), base.to_v6().to_bytes());
}

}  // namespace

Result<TrustedProxies> TrustedProxies::parse(const std::vector<std::string>& entries) {
  TrustedProxies proxies;
  for (const auto& entry : entries) {
    const auto invalid = [&] {
      return make_error(ErrorCode::invalid_request,
                        "trusted proxy \"" + entry + "\" is not an address or a network (like 10.0.0.0/8)");
    };
    const auto slash = entry.find('/');
    auto address = parse_forwarded(std::string_view(entry).substr(0, slash));
    if (!address || (slash == std::string::npos && std::string_view(entry).find(']') != std::string_view::npos)) {
      return invalid();
    }
    const unsigned max_prefix = address->is_v4() ? 32 : 128;
    unsigned prefix = max_prefix;
    if (slash != std::string::npos) {
      const char* begin = entry.data() + slash + 1;
      const char* end = entry.data() + entry.size();
      const auto [stop, ec] = std::from_chars(begin, end, prefix);
      if (ec != std::errc() || stop != end || begin == end || prefix > max_prefix) return invalid();
    }
    proxies.networks_.push_back({*address, prefix});
  }
  return proxies;
}

bool TrustedProxies::contains(const asio_ip::address& address) const {
  for (const auto& network : networks_) {
    if (in_network(address, network.base, network.prefix)) return true;
  }
  return false;
}

std::string TrustedProxies::client_address(std::string_view peer, std::string_view forwarded_for) const {
  const auto peer_address = parse_forwarded(peer);
  if (!peer_address) return std::string(peer);
  std::string client = peer_address->to_string();
  if (!contains(*peer_address)) return client;
  // Right to left: each trusted hop vouches for the entry before it.
  while (!forwarded_for.empty()) {
    const auto comma = forwarded_for.rfind(',');
    const std::string_view entry = comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1);
    forwarded_for = comma == std::string_view::npos ? std::string_view() : forwarded_for.substr(0, comma);
    const auto address = parse_forwarded(entry);
    if (!address) break;  // garbage: the last trusted hop is as far as we can see
    client = address->to_string();
    if (!contains(*address)) break;
  }
  return client;
}

std::string rate_key(std::string_view address) {
  boost::system::error_code error;
  const auto parsed = asio_ip::make_address(std::string(address), error);
  if (error || parsed.is_v4()) return std::string(address);
  auto bytes = parsed.to_v6().to_bytes();
  for (std::size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
  return asio_ip::address_v6(bytes).to_string() + "/64";
}

}  // namespace parley::limits
