// parley.toml in the data folder: the server's settings, written by `parley init`, read by `parley serve`.
// Command-line flags override it.
#pragma once

#include <filesystem>
#include <string>

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
  // [smtp]: email notifications (notify/email.h); no url: emails are logged as failed deliveries, never sent.
  std::string smtp_url;  // smtp://host:587 or smtps://host:465
  std::string smtp_from;
  std::string smtp_username;
  std::string smtp_password;
  bool smtp_starttls = false;
};

std::filesystem::path config_path(const std::filesystem::path& data_dir);
std::filesystem::path database_path(const std::filesystem::path& data_dir);

// A missing file gives the defaults; a malformed one an error naming the problem.
Result<Config> load_config(const std::filesystem::path& data_dir);
Status save_config(const std::filesystem::path& data_dir, const Config& config);

}  // namespace parley::cli
