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

}  // namespace parley::testing
