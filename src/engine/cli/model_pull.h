// Downloading model files: HTTPS (plain HTTP only from the local machine), the SHA-256 checked before the file is
// put in place, so a tampered or truncated download is never used.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace parley::engine {

struct PullRequest {
  std::string source;  // an https:// URL, or a known model name (see known_model_url)
  std::string sha256;  // expected digest, 64 hex digits
  std::string out;     // destination path
  std::function<void(uint64_t received, uint64_t total)> progress;  // total is 0 when unknown
  std::function<bool()> cancelled;  // true stops the download (Ctrl-C); nothing is kept
  // The operator's policy on where models may come from (an allow-list of sources): an error refuses the URL before
  // anything is downloaded. Unset: any https:// source.
  std::function<Status(std::string_view url)> source_policy;
};

struct PullResult {
  std::string url;
  uint64_t bytes = 0;
  bool already_present = false;  // `out` existed with the expected digest: nothing downloaded
};

// Errors: invalid_request (bad digest or URL), forbidden (the source policy refuses the URL), unavailable (network or HTTP failure), unprocessable (digest mismatch;
// the partial file is deleted), internal (local file errors).
Result<PullResult> pull_model(const PullRequest& request);

// The download URL of a model known by name ("qwen2.5-0.5b-instruct-q4_k_m", ...), or nothing.
std::optional<std::string> known_model_url(std::string_view name);

// Lowercase hex SHA-256 of a file, read in chunks.
Result<std::string> sha256_file(const std::string& path);

}  // namespace parley::engine
