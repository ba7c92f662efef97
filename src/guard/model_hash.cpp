#include "guard/model_hash.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <vector>

#include <sodium.h>

namespace parley::guard {

Result<std::string> sha256_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::not_found, "cannot open model file " + path.string());
  if (sodium_init() < 0) return make_error(ErrorCode::internal, "libsodium did not initialise");
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::vector<char> block(1 << 20);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto got = in.gcount();
    if (got > 0) {
      crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(block.data()),
                                static_cast<unsigned long long>(got));
    }
  }
  if (in.bad()) return make_error(ErrorCode::internal, "error reading model file " + path.string());
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex);
}

Status verify_model_file(const std::filesystem::path& path, std::string_view expected_hex) {
  if (expected_hex.size() != 64 || !std::all_of(expected_hex.begin(), expected_hex.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) != 0;
      })) {
    return make_error(ErrorCode::invalid_request, "a model's registered SHA-256 must be 64 hex digits");
  }
  auto actual = sha256_file(path);
  if (!actual.ok()) return actual.error();
  std::string expected(expected_hex);
  std::transform(expected.begin(), expected.end(), expected.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  // Not secret, but compare without an early exit anyway.
  if (sodium_memcmp(expected.data(), actual->data(), 64) != 0) {
    return make_error(ErrorCode::forbidden, "model file " + path.filename().string() +
                                                " does not match its registered SHA-256 (refused): expected " +
                                                expected + ", found " + *actual);
  }
  return {};
}

bool model_source_allowed(std::string_view url, const std::vector<std::string>& allowed_prefixes) {
  if (allowed_prefixes.empty()) return true;
  const auto lower = [](std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    return out;
  };
  // Scheme and host are case-insensitive; the path is not.
  const auto authority_end = [](std::string_view text) {
    const auto scheme = text.find("://");
    const std::size_t host = scheme == std::string_view::npos ? 0 : scheme + 3;
    const auto slash = text.find('/', host);
    return slash == std::string_view::npos ? text.size() : slash;
  };
  const std::size_t url_split = authority_end(url);
  for (const auto& prefix : allowed_prefixes) {
    const std::size_t prefix_split = authority_end(prefix);
    const std::string_view prefix_path = std::string_view(prefix).substr(prefix_split);
    if (lower(url.substr(0, url_split)) != lower(std::string_view(prefix).substr(0, prefix_split))) continue;
    if (url.substr(url_split).starts_with(prefix_path)) return true;
  }
  return false;
}

}  // namespace parley::guard
