// parley doctor [--full] [--json]: checks what a Parley installation needs and prints, for each problem, what to do
// about it: parley.toml, the data folder, the database's integrity (SQLite's quick_check; --full: integrity_check),
// the model files and their SHA-256, free disk space, and the address the server listens on. Exit status 1 when
// something fails (warnings alone: 0). Safe while the server runs: the database is only read.
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "guard/model_hash.h"
#include "limits/client_address.h"
#include "store/maintenance.h"

namespace parley::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

enum class Verdict { ok, warn, fail };

struct Finding {
  explicit Finding(std::string name, Verdict result = Verdict::ok, std::string what = {})
      : check(std::move(name)), verdict(result), detail(std::move(what)) {}
  std::string check;
  Verdict verdict;
  std::string detail;
  std::vector<std::string> lines;  // more detail, one per line
  std::string fix;                 // what to do, when not ok
};

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::ok: return "ok";
    case Verdict::warn: return "warn";
    case Verdict::fail: return "FAIL";
  }
  return "?";
}

std::string megabytes_text(double bytes) { return std::to_string(static_cast<long long>(bytes / 1e6)) + " MB"; }

Finding check_config(const fs::path& data_dir, const Result<Config>& config) {
  Finding finding("configuration");
  const fs::path path = config_path(data_dir);
  if (!config.ok()) {
    finding.verdict = Verdict::fail;
    finding.detail = config.error().message;
    finding.fix = "correct " + path.string() + " (the message names the setting); the server refuses to start with it";
    return finding;
  }
  finding.detail = fs::exists(path) ? path.string() : path.string() + " is absent: defaults apply";
  if (const auto proxies = limits::TrustedProxies::parse(config->trusted_proxies); !proxies.ok()) {
    finding.verdict = Verdict::fail;
    finding.detail = "limits.trusted_proxies: " + proxies.error().message;
    finding.fix = "list addresses or CIDR networks (\"10.0.0.0/8\") in limits.trusted_proxies";
    return finding;
  }
  for (const auto& provider : config->providers) {
    if (provider.api_key_env.empty()) continue;
    const char* key = std::getenv(provider.api_key_env.c_str());
    if (key == nullptr || *key == '\0') {
      finding.verdict = Verdict::warn;
      finding.lines.push_back("provider " + provider.name + ": " + provider.api_key_env + " is not set in this shell");
      finding.fix = "set it in the server's environment (systemd: EnvironmentFile=/etc/parley/parley.env); the "
                    "server refuses to start without it";
    }
  }
  if (!config->metrics_token.empty() && config->metrics_token.size() < 16) {
    finding.verdict = Verdict::warn;
    finding.lines.push_back("metrics.token is shorter than 16 characters");
    finding.fix = "use a long random token: head -c 24 /dev/urandom | base64";
  }
  return finding;
}

Finding check_data_folder(const fs::path& data_dir) {
  Finding finding("data folder", Verdict::ok, fs::absolute(data_dir).string());
  if (!fs::is_directory(data_dir)) {
    finding.verdict = Verdict::fail;
    finding.detail = data_dir.string() + " does not exist";
    finding.fix = "run `parley --data " + data_dir.string() + " init`, or restore a backup into it";
  } else if (::access(data_dir.c_str(), W_OK) != 0) {
    finding.verdict = Verdict::fail;
    finding.detail = data_dir.string() + " is not writable by this user";
    finding.fix = "run as the server's user (sudo -u parley parley doctor ...) or give it the folder (chown)";
  }
  return finding;
}

Finding check_store(const fs::path& data_dir, bool full) {
  Finding finding("database");
  const fs::path db = database_path(data_dir);
  if (!fs::exists(db)) {
    finding.verdict = Verdict::fail;
    finding.detail = db.string() + " does not exist";
    finding.fix = "run `parley init`, or `parley backup restore FILE --data " + data_dir.string() + "`";
    return finding;
  }
  const auto report = store::check_database(db.string(), full);
  if (!report.ok()) {
    finding.verdict = Verdict::fail;
    finding.detail = report.error().message;
    finding.fix = "restore the latest backup: parley backup restore FILE --data " + data_dir.string() + " --force";
    return finding;
  }
  std::error_code ignored;
  const auto wal = fs::file_size(db.string() + "-wal", ignored);
  finding.detail = db.string() + ": " + megabytes_text(static_cast<double>(report->page_count * report->page_size)) +
                   ", schema " + std::to_string(report->schema_version) + ", " + (full ? "integrity_check" : "quick_check") +
                   (report->ok ? " ok" : " found " + std::to_string(report->problems.size()) + " problem(s)") +
                   (store::database_in_use(db.string()) ? " (open in a running server)" : "");
  if (!ignored && wal > (256u << 20)) finding.lines.push_back("the write-ahead log holds " + megabytes_text(static_cast<double>(wal)));
  if (!report->ok) {
    finding.verdict = Verdict::fail;
    for (const auto& problem : report->problems) finding.lines.push_back(problem);
    finding.fix = "the server refuses to start on a damaged database: stop it, then restore the latest backup "
                  "(parley backup restore FILE --data " + data_dir.string() + " --force); a copy of the damaged file "
                  "may let `sqlite3 parley.db .recover` save what the backup lacks";
  }
  return finding;
}

void check_model(std::vector<Finding>& findings, const std::string& what, const std::string& path, const std::string& sha256) {
  if (path.empty()) return;
  Finding finding(what, Verdict::ok, path);
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  if (!in || !in.read(magic, 4)) {
    finding.verdict = Verdict::fail;
    finding.detail = path + " cannot be read";
    finding.fix = "check the path in parley.toml [engine] and that the server's user may read the file";
  } else if (std::string_view(magic, 4) != "GGUF") {
    finding.verdict = Verdict::fail;
    finding.detail = path + " is not a GGUF model file";
    finding.fix = "download the model again (parley model pull URL --sha256 HASH)";
  } else if (!sha256.empty()) {
    const Status verified = guard::verify_model_file(path, sha256);
    if (!verified.ok()) {
      finding.verdict = Verdict::fail;
      finding.detail = verified.error().message;
      finding.fix = "the server refuses this file: download it again, or register the new file's hash if you replaced it on purpose";
    } else {
      finding.detail += ": " + megabytes_text(static_cast<double>(fs::file_size(path))) + ", SHA-256 matches";
    }
  } else {
    const auto hash = guard::sha256_file(path);
    finding.verdict = Verdict::warn;
    finding.detail += ": no registered SHA-256, so a swapped file would be loaded";
    if (hash.ok()) finding.fix = "add to [engine]: " + std::string(what == "chat model" ? "model_sha256" : "embedding_model_sha256") + " = \"" + *hash + "\"";
  }
  findings.push_back(std::move(finding));
}

Finding check_disk(const fs::path& data_dir) {
  Finding finding("disk space");
  struct statvfs stats {};
  if (::statvfs(fs::exists(data_dir) ? data_dir.c_str() : ".", &stats) != 0) {
    finding.verdict = Verdict::warn;
    finding.detail = "cannot read the file system's free space";
    return finding;
  }
  const double free_bytes = static_cast<double>(stats.f_bavail) * static_cast<double>(stats.f_frsize);
  const double total_bytes = static_cast<double>(stats.f_blocks) * static_cast<double>(stats.f_frsize);
  std::error_code ignored;
  const double database_bytes = static_cast<double>(fs::file_size(database_path(data_dir), ignored));
  finding.detail = megabytes_text(free_bytes) + " free of " + megabytes_text(total_bytes) + " where " +
                   data_dir.string() + " is";
  if (free_bytes < 100e6 || free_bytes < 0.02 * total_bytes) {
    finding.verdict = Verdict::fail;
    finding.fix = "free space now: writes fail when the disk is full (ingestion stops, chat turns are refused)";
  } else if (free_bytes < 1e9 || free_bytes < 0.1 * total_bytes || (!ignored && free_bytes < database_bytes)) {
    finding.verdict = Verdict::warn;
    finding.fix = "keep at least the database's size free (" + megabytes_text(database_bytes) +
                  ") for backups and ingestion";
  }
  return finding;
}

// Whether a Parley answers /healthz at host:port (something listening that is not Parley is a conflict).
std::optional<bool> parley_answers(const std::string& host, int port) {
  namespace beast = boost::beast;
  try {
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(2));
    stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host),
                                                  static_cast<unsigned short>(port)));
    beast::http::request<beast::http::empty_body> request{beast::http::verb::get, "/healthz", 11};
    request.set(beast::http::field::host, host);
    beast::http::write(stream, request);
    beast::flat_buffer buffer;
    beast::http::response<beast::http::string_body> response;
    beast::http::read(stream, buffer, response);
    const auto body = Json::parse(response.body(), nullptr, false);
    return response.result_int() == 200 && body.is_object() && body.value("status", "") == "ok" &&
           response[beast::http::field::server] == "Parley";
  } catch (const boost::system::system_error& error) {
    if (error.code() == boost::asio::error::connection_refused) return std::nullopt;  // nothing listens
    return false;
  }
}

Finding check_port(const Config& config) {
  Finding finding("listening address");
  const std::string where = config.host + ":" + std::to_string(config.port);
  const auto answered = parley_answers(config.host, config.port);
  if (answered && *answered) {
    finding.detail = where + ": a Parley server is answering";
    return finding;
  }
  if (answered) {
    finding.verdict = Verdict::fail;
    finding.detail = where + " is taken by another program";
    finding.fix = "stop it (ss -ltnp 'sport = :" + std::to_string(config.port) + "' names it) or change [server] port";
    return finding;
  }
  // Nothing listens: can the server bind it?
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(io);
    const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address(config.host), static_cast<unsigned short>(config.port));
    acceptor.open(endpoint.protocol());
    acceptor.set_option(boost::asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    finding.detail = where + " is free (no server running)";
  } catch (const std::exception& error) {
    finding.verdict = Verdict::fail;
    finding.detail = "the server could not listen on " + where + ": " + error.what();
    finding.fix = config.port < 1024 ? "ports below 1024 need privileges: use a port above 1024 behind a reverse proxy"
                                     : "use an address of this machine in [server] host (0.0.0.0 for all)";
  }
  return finding;
}

}  // namespace

void add_doctor_command(CLI::App& app, Globals& globals) {
  auto* command = app.add_subcommand("doctor", "Check the configuration, database, models, disk and port; say what to fix");
  struct Options {
    bool full = false;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  command->add_flag("--full", options->full, "Full database integrity check (slower: indexes against tables too)");
  command->add_flag("--json", options->json, "Print the findings as JSON");
  command->callback([&globals, options] {
    const fs::path data_dir = globals.data_dir;
    const auto config = load_config(data_dir);
    std::vector<Finding> findings;
    findings.push_back(check_config(data_dir, config));
    findings.push_back(check_data_folder(data_dir));
    if (config.ok() && !store_options(data_dir, *config).url.empty()) {
      // The database is another server's: its pages are that server's to check.
      findings.push_back(Finding("database", Verdict::warn,
                                 "PostgreSQL ([store] url): not checked here (doctor checks an embedded SQLite "
                                 "database); use the server's own tools (pg_isready, pg_amcheck)"));
    } else if (fs::is_directory(data_dir)) {
      findings.push_back(check_store(data_dir, options->full));
    }
    if (config.ok()) {
      check_model(findings, "chat model", config->engine.model, config->engine.model_sha256);
      check_model(findings, "embedding model", config->engine.embedding_model, config->engine.embedding_model_sha256);
    }
    findings.push_back(check_disk(data_dir));
    if (config.ok()) findings.push_back(check_port(*config));

    const bool failed = std::any_of(findings.begin(), findings.end(), [](const Finding& f) { return f.verdict == Verdict::fail; });
    if (options->json) {
      Json out = Json::array();
      for (const auto& finding : findings) {
        out.push_back({{"check", finding.check}, {"verdict", finding.verdict == Verdict::fail ? "fail" : verdict_name(finding.verdict)},
                       {"detail", finding.detail}, {"lines", finding.lines}, {"fix", finding.fix}});
      }
      std::cout << Json{{"ok", !failed}, {"findings", out}}.dump(2) << "\n";
    } else {
      for (const auto& finding : findings) {
        std::cout << std::string(verdict_name(finding.verdict)) << std::string(6 - verdict_name(finding.verdict).size(), ' ')
                  << finding.check << ": " << finding.detail << "\n";
        for (const auto& line : finding.lines) std::cout << "        " << line << "\n";
        if (finding.verdict != Verdict::ok && !finding.fix.empty()) std::cout << "      fix: " << finding.fix << "\n";
      }
      std::cout << (failed ? "Problems found: fix the FAIL lines above.\n" : "No problems found.\n");
    }
    globals.exit_code = failed ? 1 : 0;
  });
}

}  // namespace parley::cli
