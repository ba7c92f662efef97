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

// Sets `key = value` (TOML text, e.g. "0" or "\"x\"") in `[section]` of the data folder's parley.toml: inserted at
// the top of the section when it exists (a later duplicate key would be an error), else in a new section at the end.
inline void set_config(const std::string& data_dir, const std::string& section, const std::string& key,
                       const std::string& value) {
  const std::string path = data_dir + "/parley.toml";
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  std::string config = text.str();
  const std::string header = "[" + section + "]\n";
  const auto at = config.find(header);
  if (at == std::string::npos || (at > 0 && config[at - 1] != '\n')) {
    config += "\n" + header + key + " = " + value + "\n";
  } else {
    config.insert(at + header.size(), key + " = " + value + "\n");
  }
  std::ofstream(path, std::ios::trunc) << config;
}

}  // namespace parley::testing
