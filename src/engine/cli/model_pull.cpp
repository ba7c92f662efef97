#include "engine/cli/model_pull.h"

#include <curl/curl.h>
#include <sodium.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>

namespace parley::engine {
namespace {

struct KnownModel {
  std::string_view name;
  std::string_view url;
};

// Shortcuts for common downloads; the digest is still required, so a name never implies trust.
constexpr std::array<KnownModel, 4> kKnownModels{{
    {"qwen2.5-0.5b-instruct-q8_0",
     "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q8_0.gguf"},
    {"qwen2.5-0.5b-instruct-q4_k_m",
     "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf"},
    {"qwen2.5-1.5b-instruct-q4_k_m",
     "https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/qwen2.5-1.5b-instruct-q4_k_m.gguf"},
    {"bge-small-en-v1.5-q8_0",
     "https://huggingface.co/CompendiumLabs/bge-small-en-v1.5-gguf/resolve/main/bge-small-en-v1.5-q8_0.gguf"},
}};

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    hex.push_back(kDigits[bytes[i] >> 4]);
    hex.push_back(kDigits[bytes[i] & 15]);
  }
  return hex;
}

bool is_loopback_url(std::string_view url) {
  for (std::string_view prefix : {"http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/",
                                  "http://[::1]:", "http://[::1]/"}) {
    if (url.starts_with(prefix)) return true;
  }
  return false;
}

struct Download {
  std::FILE* file = nullptr;
  crypto_hash_sha256_state hash{};
  uint64_t bytes = 0;
  const PullRequest* request = nullptr;
};

size_t write_chunk(char* data, size_t size, size_t count, void* user) {
  auto* download = static_cast<Download*>(user);
  const size_t n = size * count;
  if (std::fwrite(data, 1, n, download->file) != n) return 0;  // aborts the transfer
  crypto_hash_sha256_update(&download->hash, reinterpret_cast<const unsigned char*>(data), n);
  download->bytes += n;
  return n;
}

int report_progress(void* user, curl_off_t total, curl_off_t received, curl_off_t, curl_off_t) {
  const auto* download = static_cast<const Download*>(user);
  if (download->request->progress) {
    download->request->progress(static_cast<uint64_t>(received), static_cast<uint64_t>(total));
  }
  return download->request->cancelled && download->request->cancelled() ? 1 : 0;  // non-zero aborts
}

}  // namespace

std::optional<std::string> known_model_url(std::string_view name) {
  for (const auto& model : kKnownModels) {
    if (model.name == name) return std::string(model.url);
  }
  return std::nullopt;
}

Result<std::string> sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::not_found, "cannot read '" + path + "'");
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(buffer.data()),
                              static_cast<unsigned long long>(in.gcount()));
  }
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  return to_hex(digest, sizeof digest);
}

Result<PullResult> pull_model(const PullRequest& request) {
  std::string expected = request.sha256;
  for (auto& c : expected) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (expected.size() != 64 || expected.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return make_error(ErrorCode::invalid_request, "--sha256 must be 64 hexadecimal digits");
  }
  PullResult result;
  if (request.source.find("://") != std::string::npos) {
    result.url = request.source;
  } else if (auto url = known_model_url(request.source)) {
    result.url = *url;
  } else {
    std::string names;
    for (const auto& model : kKnownModels) names += std::string(names.empty() ? "" : ", ") + std::string(model.name);
    return make_error(ErrorCode::invalid_request, "unknown model '" + request.source + "'; give a URL or one of: " + names);
  }
  const bool loopback = is_loopback_url(result.url);
  if (!result.url.starts_with("https://") && !loopback) {
    return make_error(ErrorCode::invalid_request, "only https:// downloads are allowed (plain http only from localhost)");
  }
  if (request.source_policy) PARLEY_TRY(request.source_policy(result.url));
  if (request.out.empty()) return make_error(ErrorCode::invalid_request, "--out is required");

  if (std::filesystem::exists(request.out)) {
    auto existing = sha256_file(request.out);
    if (existing.ok() && *existing == expected) {
      result.already_present = true;
      result.bytes = std::filesystem::file_size(request.out);
      return result;
    }
  }

  static std::once_flag curl_once;
  std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  const std::string partial = request.out + ".partial";
  Download download;
  download.request = &request;
  download.file = std::fopen(partial.c_str(), "wb");
  if (download.file == nullptr) return make_error(ErrorCode::internal, "cannot create '" + partial + "'");
  crypto_hash_sha256_init(&download.hash);

  CURL* curl = curl_easy_init();
  char curl_error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, result.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, loopback ? "http,https" : "https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);  // abort below 1 KB/s for a minute
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "parley-model-pull");
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_chunk);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &download);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, report_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &download);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  const CURLcode code = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  const bool closed = std::fclose(download.file) == 0;

  auto discard = [&](Error error) -> Result<PullResult> {
    std::remove(partial.c_str());
    return error;
  };
  if (code == CURLE_ABORTED_BY_CALLBACK) {
    return discard(make_error(ErrorCode::unavailable, "interrupted: the partial download was deleted, " + request.out +
                                                          " is unchanged"));
  }
  if (code != CURLE_OK) {
    return discard(make_error(ErrorCode::unavailable, "download of " + result.url + " failed: " +
                                                          (curl_error[0] ? std::string(curl_error) : curl_easy_strerror(code))));
  }
  if (!closed) return discard(make_error(ErrorCode::internal, "cannot write '" + partial + "'"));
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&download.hash, digest);
  const std::string actual = to_hex(digest, sizeof digest);
  if (actual != expected) {
    return discard(make_error(ErrorCode::unprocessable,
                              "SHA-256 mismatch for " + result.url + ": expected " + expected + ", got " + actual +
                                  " (the download was deleted)"));
  }
  std::error_code error;
  std::filesystem::rename(partial, request.out, error);
  if (error) return discard(make_error(ErrorCode::internal, "cannot move the download to '" + request.out + "'"));
  result.bytes = download.bytes;
  return result;
}

}  // namespace parley::engine
