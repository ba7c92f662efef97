// Edits of a data folder's parley.toml as written by `parley init`, for tests that run the real binary.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace parley::testing {

// Lets crawls and webhooks reach loopback (the tests' sites and receivers), which `parley init` leaves off.
inline void allow_private_addresses(const std::string& data_dir) {
  const std::string path = data_dir + "/parley.toml";
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  std::string config = text.str();
  const std::string off = "allow_private_addresses = false";
  const auto at = config.find(off);
  if (at == std::string::npos) throw std::runtime_error(path + " has no " + off);
  config.replace(at, off.size(), "allow_private_addresses = true");
  std::ofstream(path, std::ios::trunc) << config;
}

// Sets `key = value` (TOML text, e.g. "0" or "\"x\"") in `[section]` of the data folder's parley.toml: replacing the
// key's line when the section has one, else at the top of the section, else in a new section at the end.
inline void set_config(const std::string& data_dir, const std::string& section, const std::string& key,
                       const std::string& value) {
  const std::string path = data_dir + "/parley.toml";
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  std::string config = "\n" + text.str();
  const std::string header = "\n[" + section + "]\n";
  const std::string line = key + " = " + value + "\n";
  const auto at = config.find(header);
  if (at == std::string::npos) {
    config += header + line;
  } else {
    const std::size_t body = at + header.size();
    const std::size_t end = std::min(config.find("\n[", body), config.size());
    const std::size_t existing = config.find("\n" + key + " = ", body - 1);
    if (existing != std::string::npos && existing < end) {
      config.replace(existing + 1, config.find('\n', existing + 1) - existing, line);
    } else {
      config.insert(body, line);
    }
  }
  std::ofstream(path, std::ios::trunc) << config.substr(1);
}

}  // namespace parley::testing
