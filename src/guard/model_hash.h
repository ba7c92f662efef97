// Model supply chain: a model file is used only when its SHA-256 matches the registered one. This is the check;
// wiring it into model loading belongs to the engine (src/engine), which calls verify_model_file before mapping a
// file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::guard {

// The SHA-256 of a file's bytes as 64 lower-case hex digits (read in blocks; any size).
Result<std::string> sha256_file(const std::filesystem::path& path);

// OK when the file's SHA-256 equals `expected_hex` (case-insensitive, 64 hex digits); `forbidden` when it does not
// (the model is refused), `invalid_request` for a malformed expected hash, `not_found` when the file is missing.
Status verify_model_file(const std::filesystem::path& path, std::string_view expected_hex);

// An optional allow-list of model sources: true when `url` starts with one of `allowed_prefixes` (after the scheme
// and host are compared case-insensitively), or when the list is empty.
bool model_source_allowed(std::string_view url, const std::vector<std::string>& allowed_prefixes);

}  // namespace parley::guard
