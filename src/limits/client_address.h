// Who the client is, behind reverse proxies. The peer address of the TCP connection is the client unless it is a
// configured trusted proxy; then X-Forwarded-For is read from the right (each proxy appends the address it saw)
// and the first address that is not a trusted proxy is the client. Entries a client wrote itself sit to the left
// of that and are never believed, so a visitor cannot choose its own rate-limit key by sending the header.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "common/result.h"

namespace parley::limits {

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Entries are addresses ("10.0.0.5", "::1") or CIDR networks ("10.0.0.0/8", "fd00::/8").
  static Result<TrustedProxies> parse(const std::vector<std::string>& entries);

  bool empty() const { return networks_.empty(); }
  bool contains(const boost::asio::ip::address& address) const;

  // The client's address for a connection from `peer` that carried `forwarded_for` (the X-Forwarded-For values,
  // comma-separated, possibly from several header lines joined with commas).
  std::string client_address(std::string_view peer, std::string_view forwarded_for) const;

 private:
  struct Network {
    boost::asio::ip::address base;
    unsigned prefix = 0;
  };
  std::vector<Network> networks_;
};

// The key that rate limits count an address under: IPv4 addresses as they are, IPv6 addresses by their /64 network
// (one subscriber usually holds a whole /64, so counting single addresses would let it multiply its allowance).
std::string rate_key(std::string_view address);

}  // namespace parley::limits
