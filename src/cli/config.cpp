#include "cli/config.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <type_traits>

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

std::filesystem::path config_path(const std::filesystem::path& data_dir) {
  // Packaged installations keep settings apart from data (/etc/parley/parley.toml, set by the systemd unit).
  if (const char* file = std::getenv("PARLEY_CONFIG"); file != nullptr && *file != '\0') return file;
  return data_dir / "parley.toml";
}
std::filesystem::path database_path(const std::filesystem::path& data_dir) { return data_dir / "parley.db"; }

store::StoreOptions store_options(const std::filesystem::path& data_dir, const Config& config) {
  store::StoreOptions options;
  options.path = database_path(data_dir).string();
  const char* url = std::getenv("PARLEY_STORE_URL");
  options.url = url != nullptr && *url != '\0' ? url : config.store_url;
  options.pool_size = config.store_pool_size;
  options.pool_wait_ms = config.store_pool_wait_ms;
  options.index_dir = config.store_index_dir;
  return options;
}

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
  PARLEY_TRY(read_value(table, "server", "drain_ms", config.drain_ms));
  PARLEY_TRY(read_value(table, "server", "shed_queue_ms", config.shed_queue_ms));
  PARLEY_TRY(read_value(table, "limits", "max_upload_mb", config.max_upload_mb));
  PARLEY_TRY(read_value(table, "limits", "per_ip_rate", config.per_ip_rate));
  PARLEY_TRY(read_value(table, "limits", "per_ip_burst", config.per_ip_burst));
  PARLEY_TRY(read_value(table, "limits", "per_key_rate", config.per_key_rate));
  PARLEY_TRY(read_value(table, "limits", "per_key_burst", config.per_key_burst));
  PARLEY_TRY(read_value(table, "limits", "per_bot_rate", config.per_bot_rate));
  PARLEY_TRY(read_value(table, "limits", "per_bot_burst", config.per_bot_burst));
  PARLEY_TRY(read_value(table, "limits", "per_visitor_rate", config.per_visitor_rate));
  PARLEY_TRY(read_value(table, "limits", "per_visitor_burst", config.per_visitor_burst));
  PARLEY_TRY(read_value(table, "limits", "max_streams", config.max_streams));
  PARLEY_TRY(read_value(table, "limits", "max_streams_per_bot", config.max_streams_per_bot));
  PARLEY_TRY(read_value(table, "limits", "daily_messages_per_bot", config.daily_messages_per_bot));
  PARLEY_TRY(read_value(table, "limits", "max_conversation_messages", config.max_conversation_messages));
  PARLEY_TRY(read_value(table, "limits", "max_connections_per_address", config.max_connections_per_address));
  PARLEY_TRY(read_value(table, "limits", "visitor_token_seconds", config.visitor_token_seconds));
  PARLEY_TRY(read_value(table, "limits", "upload_cpu_seconds", config.upload_cpu_seconds));
  PARLEY_TRY(read_value(table, "limits", "upload_threads", config.upload_threads));
  if (const auto* proxies = table["limits"]["trusted_proxies"].as_array()) {
    for (const auto& entry : *proxies) {
      const auto value = entry.value<std::string>();
      if (!value) return make_error(ErrorCode::invalid_request, "parley.toml: limits.trusted_proxies must hold strings");
      config.trusted_proxies.push_back(*value);
    }
  }
  for (double value : {config.per_ip_rate, config.per_ip_burst, config.per_key_rate, config.per_key_burst,
                       config.per_bot_rate, config.per_bot_burst, config.per_visitor_rate, config.per_visitor_burst}) {
    if (value < 0) return make_error(ErrorCode::invalid_request, "parley.toml: limits rates and bursts must not be negative");
  }
  PARLEY_TRY(read_value(table, "workspace", "default", config.default_workspace));
  PARLEY_TRY(read_value(table, "demo", "bot_id", config.demo_bot_id));
  PARLEY_TRY(read_value(table, "smtp", "url", config.smtp_url));
  PARLEY_TRY(read_value(table, "smtp", "from", config.smtp_from));
  PARLEY_TRY(read_value(table, "smtp", "username", config.smtp_username));
  PARLEY_TRY(read_value(table, "smtp", "password", config.smtp_password));
  PARLEY_TRY(read_value(table, "smtp", "starttls", config.smtp_starttls));
  PARLEY_TRY(read_value(table, "network", "allow_private_addresses", config.allow_private_addresses));
  PARLEY_TRY(read_value(table, "metrics", "token", config.metrics_token));
  PARLEY_TRY(read_value(table, "store", "check_on_start", config.check_store_on_start));
  PARLEY_TRY(read_value(table, "store", "url", config.store_url));
  PARLEY_TRY(read_value(table, "store", "pool_size", config.store_pool_size));
  PARLEY_TRY(read_value(table, "store", "pool_wait_ms", config.store_pool_wait_ms));
  PARLEY_TRY(read_value(table, "store", "index_dir", config.store_index_dir));
  PARLEY_TRY(read_value(table, "limits", "max_bots_per_workspace", config.max_bots_per_workspace));
  PARLEY_TRY(read_value(table, "jobs", "lease_ms", config.job_lease_ms));
  PARLEY_TRY(read_value(table, "notify", "lease_ms", config.delivery_lease_ms));
  // A lease must outlast the heartbeats that renew it (1 s), and a delivery's the webhook request it covers (10 s).
  if (config.job_lease_ms < 3'000) return make_error(ErrorCode::invalid_request, "parley.toml: jobs.lease_ms must be at least 3000");
  if (config.delivery_lease_ms < 20'000) {
    return make_error(ErrorCode::invalid_request, "parley.toml: notify.lease_ms must be at least 20000");
  }
  if (config.store_pool_size < 1 || config.store_pool_wait_ms < 0 || config.max_bots_per_workspace < 0) {
    return make_error(ErrorCode::invalid_request,
                      "parley.toml: store.pool_size must be at least 1, store.pool_wait_ms and "
                      "limits.max_bots_per_workspace not negative");
  }
  if (config.port < 0 || config.port > 65535) return make_error(ErrorCode::invalid_request, "parley.toml: server.port is out of range");
  if (config.shed_queue_ms < 0 || config.shed_queue_ms > 60'000) {
    return make_error(ErrorCode::invalid_request, "parley.toml: server.shed_queue_ms must be from 0 to 60000");
  }
  if (config.drain_ms < 0 || config.drain_ms > 600'000) {
    return make_error(ErrorCode::invalid_request, "parley.toml: server.drain_ms must be from 0 to 600000");
  }
  if (config.io_threads < 1 || config.worker_threads < 1) {
    return make_error(ErrorCode::invalid_request, "parley.toml: thread counts must be at least 1");
  }
  if (config.max_upload_mb < 1) return make_error(ErrorCode::invalid_request, "parley.toml: limits.max_upload_mb must be at least 1");
  PARLEY_TRY(read_value(table, "engine", "model", config.engine.model));
  PARLEY_TRY(read_value(table, "engine", "embedding_model", config.engine.embedding_model));
  PARLEY_TRY(read_value(table, "engine", "model_sha256", config.engine.model_sha256));
  PARLEY_TRY(read_value(table, "engine", "embedding_model_sha256", config.engine.embedding_model_sha256));
  PARLEY_TRY(read_value(table, "engine", "threads", config.engine.threads));
  PARLEY_TRY(read_value(table, "engine", "context", config.engine.context));
  PARLEY_TRY(read_value(table, "engine", "max_sequences", config.engine.max_sequences));
  PARLEY_TRY(read_value(table, "engine", "max_concurrency", config.engine.max_concurrency));
  if (const auto* sources = table["engine"]["allowed_model_sources"].as_array()) {
    for (const auto& entry : *sources) {
      const auto value = entry.value<std::string>();
      if (!value) return make_error(ErrorCode::invalid_request, "parley.toml: engine.allowed_model_sources must hold strings");
      config.engine.allowed_model_sources.push_back(*value);
    }
  }
  if (config.engine.threads < 0 || config.engine.context < 64 || config.engine.max_sequences < 1 ||
      config.engine.max_concurrency < 1) {
    return make_error(ErrorCode::invalid_request, "parley.toml: engine.threads, context (>= 64), max_sequences and "
                                                  "max_concurrency must be positive");
  }
  if (const auto* providers = table["providers"].as_array()) {
    for (std::size_t i = 0; i < providers->size(); ++i) {
      const auto* entry = (*providers)[i].as_table();
      const std::string where = "parley.toml: providers[" + std::to_string(i) + "]";
      if (!entry) return make_error(ErrorCode::invalid_request, where + " must be a table");
      ProviderConfig provider;
      const auto field = [&](const char* key, auto& out) -> Status {
        const auto node = (*entry)[key];
        if (!node) return {};
        using T = std::decay_t<decltype(out)>;
        std::optional<T> value;
        if constexpr (std::is_same_v<T, double>) {
          value = node.template value<double>();  // integers are accepted for prices
        } else {
          value = node.template value_exact<T>();
        }
        if (!value) return make_error(ErrorCode::invalid_request, where + "." + key + " has the wrong type");
        out = *value;
        return {};
      };
      PARLEY_TRY(field("name", provider.name));
      PARLEY_TRY(field("kind", provider.kind));
      PARLEY_TRY(field("base_url", provider.base_url));
      PARLEY_TRY(field("model", provider.model));
      PARLEY_TRY(field("api_key_env", provider.api_key_env));
      PARLEY_TRY(field("local", provider.local));
      PARLEY_TRY(field("input_price_per_mtok", provider.input_price_per_mtok));
      PARLEY_TRY(field("output_price_per_mtok", provider.output_price_per_mtok));
      int64_t max_concurrency = provider.max_concurrency, first_token = provider.first_token_timeout_ms,
              total = provider.total_timeout_ms;
      PARLEY_TRY(field("max_concurrency", max_concurrency));
      PARLEY_TRY(field("first_token_timeout_ms", first_token));
      PARLEY_TRY(field("total_timeout_ms", total));
      provider.max_concurrency = static_cast<int>(std::clamp<int64_t>(max_concurrency, 1, 100'000));
      provider.first_token_timeout_ms = static_cast<int>(std::clamp<int64_t>(first_token, 1, 3'600'000));
      provider.total_timeout_ms = static_cast<int>(std::clamp<int64_t>(total, 1, 3'600'000));
      if (const auto* headers = (*entry)["headers"].as_table()) {
        for (const auto& [name, value] : *headers) {
          const auto text = value.value<std::string>();
          if (!text) return make_error(ErrorCode::invalid_request, where + ".headers values must be strings");
          provider.headers[std::string(name.str())] = *text;
        }
      }
      if (provider.name.empty() || provider.base_url.empty()) {
        return make_error(ErrorCode::invalid_request, where + " needs a name and a base_url");
      }
      if (provider.kind != "openai" && provider.kind != "anthropic") {
        return make_error(ErrorCode::invalid_request, where + ".kind must be openai or anthropic");
      }
      if (provider.name == "local") {
        return make_error(ErrorCode::invalid_request, where + ": the name \"local\" is the built-in engine's");
      }
      config.providers.push_back(std::move(provider));
    }
  }
  return config;
}

Status save_config(const std::filesystem::path& data_dir, const Config& config) {
  toml::table table{
      {"server", toml::table{{"host", config.host}, {"port", config.port}, {"io_threads", config.io_threads},
                             {"worker_threads", config.worker_threads}}},
      {"limits", toml::table{{"max_upload_mb", config.max_upload_mb}}},
      {"workspace", toml::table{{"default", config.default_workspace}}},
      {"network", toml::table{{"allow_private_addresses", config.allow_private_addresses}}},
  };
  if (!config.demo_bot_id.empty()) table.insert("demo", toml::table{{"bot_id", config.demo_bot_id}});
  if (!config.store_url.empty()) table.insert("store", toml::table{{"url", config.store_url}});
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
    out << R"(
# Generative answers (docs/LLM.md). The built-in engine runs a GGUF model on this machine:
# [engine]
# model = "/srv/models/qwen2.5-1.5b-instruct-q4_k_m.gguf"
# model_sha256 = "..."   # optional: a file whose SHA-256 differs is refused
# embedding_model = "/srv/models/bge-small-en-v1.5-f16.gguf"   # search by meaning (hybrid retrieval), /v1/embeddings
# embedding_model_sha256 = "..."
# threads = 0            # 0: every core
# context = 4096
# max_sequences = 4
# allowed_model_sources = ["https://huggingface.co/Qwen/"]   # optional: where `parley model pull` may download from
#
# Remote providers (OpenAI-compatible servers and Anthropic); keys come from the environment:
# [[providers]]
# name = "openai"
# kind = "openai"        # or "anthropic"
# base_url = "https://api.openai.com/v1"
# model = "gpt-4o-mini"
# api_key_env = "OPENAI_API_KEY"
# input_price_per_mtok = 0.15
# output_price_per_mtok = 0.60
)";
    if (!out) return make_error(ErrorCode::internal, "cannot write " + temporary);
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) return make_error(ErrorCode::internal, "cannot write " + path.string() + ": " + error.message());
  return {};
}

}  // namespace parley::cli
