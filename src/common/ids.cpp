#include "common/ids.h"

#include <sodium.h>

#include <array>
#include <chrono>
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

std::string new_ordered_id(std::string_view prefix) {
  return new_ordered_id(prefix, std::chrono::system_clock::now());
}

std::string new_ordered_id(std::string_view prefix, std::chrono::system_clock::time_point created) {
  ensure_sodium();
  const auto millis = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(created.time_since_epoch()).count());
  std::array<unsigned char, 7> raw{};  // 50 bits of time, then random bits
  randombytes_buf(raw.data(), raw.size());
  const std::uint64_t time_bits = millis & ((std::uint64_t{1} << 50) - 1);
  std::string id(prefix);
  id += '_';
  for (int shift = 45; shift >= 0; shift -= 5) id += kSortableAlphabet[(time_bits >> shift) & 31];
  id += base32(raw.data(), raw.size()).substr(0, 10);
  return id;
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
