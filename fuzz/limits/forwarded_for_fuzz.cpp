// X-Forwarded-For and trusted-proxy parsing on arbitrary bytes: the first line is a trusted-proxy entry, the second
// the peer address, the rest the header value. The client address is never empty when the peer is not.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "limits/client_address.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto line = [&input]() {
    const auto newline = input.find('\n');
    const std::string_view out = input.substr(0, newline);
    input = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
    return std::string(out);
  };
  const std::string proxy = line();
  const std::string peer = line();
  auto proxies = parley::limits::TrustedProxies::parse({proxy, "127.0.0.0/8", "::1"});
  if (!proxies.ok()) proxies = parley::limits::TrustedProxies::parse({"127.0.0.0/8"});
  const std::string client = proxies->client_address(peer, input);
  if (client.empty() && !peer.empty()) std::abort();
  (void)parley::limits::rate_key(client);
  return 0;
}
