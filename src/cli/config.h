// parley.toml in the data folder: the server's settings, written by `parley init`, read by `parley serve`.
// Command-line flags override it.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace parley::cli {

// [engine]: the built-in engine's models (both optional).
struct EngineConfig {
  std::string model;            // a GGUF chat model: the provider "local"
  std::string embedding_model;  // a GGUF embedding model (bert family): hybrid retrieval, POST /v1/embeddings
  // The files' SHA-256 (hex): a model whose hash differs is refused (supply chain). Empty: not checked.
  std::string model_sha256;
  std::string embedding_model_sha256;
  int threads = 0;              // 0: every core
  int context = 4096;
  int max_sequences = 4;        // requests decoded together
  int max_concurrency = 16;     // requests admitted before queueing in front of the engine
  // Where `parley model pull` may download models from: URL prefixes ("https://huggingface.co/Qwen/"). Empty: any
  // https:// source (the SHA-256 is always checked).
  std::vector<std::string> allowed_model_sources;
};

// [[providers]]: a remote model API.
struct ProviderConfig {
  std::string name;
  std::string kind = "openai";  // openai (any OpenAI-compatible server) | anthropic
  std::string base_url;
  std::string model;
  std::string api_key_env;      // the environment variable holding the key (never written to parley.toml)
  bool local = false;           // on this machine or network: may receive text when PII must not leave
  double input_price_per_mtok = 0;
  double output_price_per_mtok = 0;
  int max_concurrency = 64;
  int first_token_timeout_ms = 20'000;
  int total_timeout_ms = 120'000;
  std::map<std::string, std::string> headers;
};

struct Config {
  std::string host = "127.0.0.1";
  int port = 8080;
  int io_threads = 2;
  int worker_threads = 4;
  // On SIGTERM, how long requests and answer streams in flight may take to finish (the whole stop, jobs and
  // webhooks included, stays within about two seconds more).
  int drain_ms = 7'000;
  // Past capacity: a request is refused (503, Retry-After) rather than queued when waits for a worker have stayed
  // above this many milliseconds (http/admission.h); 0: never refused.
  int shed_queue_ms = 10;
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
  int max_connections_per_address = 256;  // open connections per peer (trusted proxies exempt); 0: no cap
  std::int64_t visitor_token_seconds = 7 * 24 * 3600;  // an idle widget conversation can be resumed this long
  double upload_cpu_seconds = 20;  // CPU time one uploaded file may take to be read (0: no limit)
  int upload_threads = 2;          // uploads read at a time (ingest/upload_pool.h)
  // [smtp]: email notifications (notify/email.h); no url: emails are logged as failed deliveries, never sent.
  std::string smtp_url;  // smtp://host:587 or smtps://host:465
  std::string smtp_from;
  std::string smtp_username;
  std::string smtp_password;
  bool smtp_starttls = false;
  // [network]: whether crawls and webhooks may reach loopback, private and link-local addresses (an intranet
  // site, a webhook receiver on this machine). Off: workspace admins cannot read internal services through a bot.
  bool allow_private_addresses = false;
  // [metrics]: a bearer token that may read GET /metrics from other machines (loopback clients and admin keys always
  // may). Empty: none.
  std::string metrics_token;
  // [store] check_on_start: SQLite's quick_check before serving, so that a damaged database is refused rather than
  // served from (`parley doctor` names the damage).
  bool check_store_on_start = true;
  // [jobs] lease_ms and [notify] lease_ms: how long a job or a webhook/email delivery stays with the process that took
  // it without a sign of life; after a crash the next start resumes it once its lease expired.
  int job_lease_ms = 30'000;
  int delivery_lease_ms = 120'000;
  EngineConfig engine;
  std::vector<ProviderConfig> providers;
  // [store]: where the data lives. No url: the SQLite file in the data folder. A postgresql:// URL (or the
  // PARLEY_STORE_URL environment variable, which wins): PostgreSQL, shared by every replica (docs/SCALING.md).
  std::string store_url;
  int store_pool_size = 16;
  int store_pool_wait_ms = 2'000;
  std::string store_index_dir;  // this replica's search index (PostgreSQL only); a temporary folder by default
  // [limits] max_bots_per_workspace: 0 for no limit.
  int max_bots_per_workspace = 0;
};

// The settings file: $PARLEY_CONFIG when set (`parley --config FILE` sets it), else <data>/parley.toml.
std::filesystem::path config_path(const std::filesystem::path& data_dir);
std::filesystem::path database_path(const std::filesystem::path& data_dir);

// The store the data folder and its settings name (the PARLEY_STORE_URL environment variable overrides
// [store] url).
store::StoreOptions store_options(const std::filesystem::path& data_dir, const Config& config);

// A missing file gives the defaults; a malformed one an error naming the problem.
Result<Config> load_config(const std::filesystem::path& data_dir);
Status save_config(const std::filesystem::path& data_dir, const Config& config);

}  // namespace parley::cli
