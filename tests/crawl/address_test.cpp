#include <gtest/gtest.h>

#include "crawl/fetcher.h"

namespace parley::crawl {
namespace {

bool is_private(const char* text) { return is_private_address(boost::asio::ip::make_address(text)); }

TEST(PrivateAddress, LoopbackPrivateLinkLocalAndReservedRangesAreNotPublic) {
  for (const char* address : {"127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                              "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
                              "198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
                              "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe"}) {
    EXPECT_TRUE(is_private(address)) << address;
  }
}

TEST(PrivateAddress, PublicAddressesAreAllowedIncludingNeighboursOfPrivateRanges) {
  for (const char* address : {"8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.0", "100.128.0.1", "11.0.0.1",
                              "169.253.255.255", "2606:4700:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8",
                              "64:ff9b::808:808"}) {
    EXPECT_FALSE(is_private(address)) << address;
  }
}

}  // namespace
}  // namespace parley::crawl
