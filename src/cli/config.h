// parley.toml in the data folder: the server's settings, written by `parley init`, read by `parley serve`.
// Command-line flags override it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"

namespace parley::cli {

struct Config {
  std::string host = "127.0.0.1";
  int port = 8080;
  int io_threads = 2;
  int worker_threads = 4;
  int max_upload_mb = 64;
  std::string default_workspace;
  std::string demo_bot_id;
  // [limits]: abuse and cost limits (api/protection.h); rates are requests per second, bursts requests.
  std::vector<std::string> trusted_proxies;  // addresses or CIDR networks of reverse proxies (X-Forwarded-For)
  double per_ip_rate = 10, per_ip_burst = 40;
  double per_key_rate = 50, per_key_burst = 200;
  double per_bot_rate = 50, per_bot_burst = 200;
  double per_visitor_rate = 1, per_visitor_burst = 10;
  int max_streams = 512, max_streams_per_bot = 64;
  int daily_messages_per_bot = 0;  // 0: none (a bot's settings.daily_message_quota overrides)
  int max_conversation_messages = 200;
};

std::filesystem::path config_path(const std::filesystem::path& data_dir);
std::filesystem::path database_path(const std::filesystem::path& data_dir);

// A missing file gives the defaults; a malformed one an error naming the problem.
Result<Config> load_config(const std::filesystem::path& data_dir);
Status save_config(const std::filesystem::path& data_dir, const Config& config);

}  // namespace parley::cli
