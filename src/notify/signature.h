// Webhook signatures. Every delivery carries
//
//   Parley-Timestamp: 1767170000                       (Unix seconds when this attempt was sent)
//   Parley-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" under the webhook's secret>
//
// A receiver recomputes the HMAC over the exact bytes it received, compares in constant time, and refuses
// timestamps far from its clock (a replayed request keeps its old timestamp, and changing it breaks the MAC).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace parley::notify {

constexpr std::string_view kSignatureHeader = "Parley-Signature";
constexpr std::string_view kTimestampHeader = "Parley-Timestamp";

// "v1=" + lowercase hex HMAC-SHA256(secret, timestamp + "." + body).
std::string sign_payload(std::string_view secret, std::int64_t timestamp, std::string_view body);

// True when `signature` is the v1 signature of (timestamp, body) under `secret`.
bool verify_signature(std::string_view secret, std::int64_t timestamp, std::string_view body, std::string_view signature);

// A new signing secret, shown to the webhook's owner: "whsec_" + 32 random bytes in base32.
std::string new_webhook_secret();

}  // namespace parley::notify
