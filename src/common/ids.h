// Identifiers and secrets: random, URL-safe, with a readable type prefix ("bot_", "src_", ...).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace parley {

// `prefix` + "_" + 20 lowercase base32 characters (100 random bits): unguessable, safe in URLs and file names.
std::string new_id(std::string_view prefix);

// Like new_id, but the first 10 of the 20 characters encode the time in milliseconds and only the other 10 are
// random (50 bits): ids created one after another sort together, so rows added in bulk extend their indexes at the
// end instead of dirtying a page at random per row; ids one process makes within a millisecond follow each other
// too. For rows created in bulk (sources, documents), never secrets.
std::string new_ordered_id(std::string_view prefix);
// The same for a given creation time.
std::string new_ordered_id(std::string_view prefix, std::chrono::system_clock::time_point created);

// `bytes` random bytes, base32-encoded (lowercase, no padding).
std::string random_token(std::size_t bytes);

// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// Compares two strings in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace parley
