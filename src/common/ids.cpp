#include "common/ids.h"

#include <sodium.h>

#include <array>
#include <chrono>
#include <mutex>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace parley {
namespace {

constexpr std::string_view kBase32Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
// The same 32 characters in byte order, for the time part of ordered ids: with the RFC 4648 order above, a digit
// rolling over from 'z' to '2' would make a later id sort before an earlier one.
constexpr std::string_view kSortableAlphabet = "234567abcdefghijklmnopqrstuvwxyz";

void ensure_sodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium failed to initialise");
}

std::string base32(const unsigned char* data, std::size_t size) {
  std::string out;
  out.reserve((size * 8 + 4) / 5);
  unsigned buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < size; ++i) {
    buffer = (buffer << 8) | data[i];
    bits += 8;
    while (bits >= 5) {
      out += kBase32Alphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kBase32Alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

}  // namespace

std::string random_token(std::size_t bytes) {
  ensure_sodium();
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  return base32(raw.data(), raw.size());
}

std::string new_id(std::string_view prefix) {
  ensure_sodium();
  std::array<unsigned char, 13> raw{};  // 104 bits, of which the first 100 are encoded
  randombytes_buf(raw.data(), raw.size());
  std::string id(prefix);
  id += '_';
  id += base32(raw.data(), raw.size()).substr(0, 20);
  return id;
}

namespace {

std::string ordered_id(std::string_view prefix, std::uint64_t millis, std::uint64_t random_bits) {
  std::string id(prefix);
  id += '_';
  for (int shift = 45; shift >= 0; shift -= 5) id += kSortableAlphabet[(millis >> shift) & 31];
  for (int shift = 45; shift >= 0; shift -= 5) id += kSortableAlphabet[(random_bits >> shift) & 31];
  return id;
}

constexpr std::uint64_t kFiftyBits = (std::uint64_t{1} << 50) - 1;

std::uint64_t random_fifty_bits() {
  ensure_sodium();
  std::uint64_t bits = 0;
  randombytes_buf(&bits, sizeof bits);
  return bits & kFiftyBits;
}

}  // namespace

std::string new_ordered_id(std::string_view prefix) {
  // Ids this process makes within one millisecond follow each other too (the last one's random part plus one), so
  // that rows listed by id come in the order they were made.
  static std::mutex mutex;
  static std::uint64_t last_millis = 0, last_random = 0;
  auto millis = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch()).count()) & kFiftyBits;
  std::uint64_t random_bits = random_fifty_bits();
  std::lock_guard lock(mutex);
  if (millis <= last_millis) {
    millis = last_millis;
    random_bits = last_random + 1;
    if (random_bits > kFiftyBits) {
      ++millis;
      random_bits = 0;
    }
  }
  last_millis = millis;
  last_random = random_bits;
  return ordered_id(prefix, millis, random_bits);
}

std::string new_ordered_id(std::string_view prefix, std::chrono::system_clock::time_point created) {
  const auto millis = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(created.time_since_epoch()).count());
  return ordered_id(prefix, millis & kFiftyBits, random_fifty_bits());
}

std::string sha256_hex(std::string_view data) {
  ensure_sodium();
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
  std::string hex(digest.size() * 2, '\0');
  sodium_bin2hex(hex.data(), hex.size() + 1, digest.data(), digest.size());
  return hex;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return a.empty() || sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace parley
