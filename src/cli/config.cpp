#include "cli/config.h"

#include <fstream>

#include <toml++/toml.h>

namespace parley::cli {
namespace {

template <typename T>
Status read_value(const toml::table& table, const char* section, const char* key, T& out) {
  const auto node = table[section][key];
  if (!node) return {};
  const auto value = node.value<T>();
  if (!value) {
    return make_error(ErrorCode::invalid_request, std::string("parley.toml: ") + section + "." + key + " has the wrong type");
  }
  out = *value;
  return {};
}

}  // namespace

std::filesystem::path config_path(const std::filesystem::path& data_dir) { return data_dir / "parley.toml"; }
std::filesystem::path database_path(const std::filesystem::path& data_dir) { return data_dir / "parley.db"; }

Result<Config> load_config(const std::filesystem::path& data_dir) {
  Config config;
  const auto path = config_path(data_dir);
  if (!std::filesystem::exists(path)) return config;
  toml::table table;
  try {
    table = toml::parse_file(path.string());
  } catch (const toml::parse_error& error) {
    return make_error(ErrorCode::invalid_request, "parley.toml: " + std::string(error.description()));
  }
  PARLEY_TRY(read_value(table, "server", "host", config.host));
  PARLEY_TRY(read_value(table, "server", "port", config.port));
  PARLEY_TRY(read_value(table, "server", "io_threads", config.io_threads));
  PARLEY_TRY(read_value(table, "server", "worker_threads", config.worker_threads));
  PARLEY_TRY(read_value(table, "limits", "max_upload_mb", config.max_upload_mb));
  PARLEY_TRY(read_value(table, "workspace", "default", config.default_workspace));
  PARLEY_TRY(read_value(table, "demo", "bot_id", config.demo_bot_id));
  PARLEY_TRY(read_value(table, "smtp", "url", config.smtp_url));
  PARLEY_TRY(read_value(table, "smtp", "from", config.smtp_from));
  PARLEY_TRY(read_value(table, "smtp", "username", config.smtp_username));
  PARLEY_TRY(read_value(table, "smtp", "password", config.smtp_password));
  PARLEY_TRY(read_value(table, "smtp", "starttls", config.smtp_starttls));
  if (config.port < 0 || config.port > 65535) return make_error(ErrorCode::invalid_request, "parley.toml: server.port is out of range");
  if (config.io_threads < 1 || config.worker_threads < 1) {
    return make_error(ErrorCode::invalid_request, "parley.toml: thread counts must be at least 1");
  }
  if (config.max_upload_mb < 1) return make_error(ErrorCode::invalid_request, "parley.toml: limits.max_upload_mb must be at least 1");
  return config;
}

Status save_config(const std::filesystem::path& data_dir, const Config& config) {
  toml::table table{
      {"server", toml::table{{"host", config.host}, {"port", config.port}, {"io_threads", config.io_threads},
                             {"worker_threads", config.worker_threads}}},
      {"limits", toml::table{{"max_upload_mb", config.max_upload_mb}}},
      {"workspace", toml::table{{"default", config.default_workspace}}},
  };
  if (!config.demo_bot_id.empty()) table.insert("demo", toml::table{{"bot_id", config.demo_bot_id}});
  if (!config.smtp_url.empty()) {
    table.insert("smtp", toml::table{{"url", config.smtp_url}, {"from", config.smtp_from}, {"username", config.smtp_username},
                                     {"password", config.smtp_password}, {"starttls", config.smtp_starttls}});
  }
  const auto path = config_path(data_dir);
  const auto temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << "# Parley settings (written by `parley init`; edit freely, flags of `parley serve` override them)\n";
    out << table << "\n";
    if (!out) return make_error(ErrorCode::internal, "cannot write " + temporary);
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) return make_error(ErrorCode::internal, "cannot write " + path.string() + ": " + error.message());
  return {};
}

}  // namespace parley::cli
