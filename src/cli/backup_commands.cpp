// parley backup create FILE [--force] [--quiet] [--json]: a consistent backup of the data folder while the server
//   keeps serving and writing: the SQLite database copied by its online backup API under one read transaction (the
//   state of one instant), with parley.toml and a manifest of SHA-256 sums, in one zip archive.
// parley backup verify FILE [--json]: checks the archive, the sums and the database's integrity, and says what it
//   holds.
// parley backup restore FILE --data DIR [--force]: verifies, then restores into DIR; refuses to replace a data folder
//   that exists without --force, and one a running server has open in any case.
// The PostgreSQL store is backed up with pg_dump instead (docs/OPERATIONS.md); these commands cover SQLite.
#include <fcntl.h>
#include <unistd.h>
#include <zip.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <sodium.h>

#include "cli/commands.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/progress.h"
#include "guard/model_hash.h"
#include "store/maintenance.h"

namespace parley::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr std::string_view kFormat = "parley-backup";
constexpr int kFormatVersion = 1;
constexpr const char* kManifest = "manifest.json";
constexpr const char* kDatabase = "parley.db";
constexpr const char* kConfig = "parley.toml";

struct ZipCloser {
  void operator()(zip_t* archive) const {
    if (archive != nullptr) zip_discard(archive);
  }
};
using ZipArchive = std::unique_ptr<zip_t, ZipCloser>;

std::string zip_error_text(zip_t* archive) { return archive != nullptr ? zip_strerror(archive) : "unknown error"; }

// Makes a finished file durable: its bytes, then its name in the folder.
void sync_file(const fs::path& path) {
  if (const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  if (const int dir = ::open(path.parent_path().empty() ? "." : path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

double megabytes(double bytes) { return bytes / 1e6; }

std::string read_text_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct ZipProgress {
  Progress* progress;
  double base;   // MB already counted before this phase
  double bytes;  // MB this phase writes
};

Status create_backup(const Globals& globals, const fs::path& file, bool force, bool quiet, bool json) {
  if (const auto config = load_config(globals.data_dir); config.ok() && !store_options(globals.data_dir, *config).url.empty()) {
    return make_error(ErrorCode::invalid_request,
                      "this installation's store is PostgreSQL ([store] url): back it up with pg_dump --format=custom "
                      "and keep a copy of parley.toml (docs/OPERATIONS.md); `parley backup` copies the SQLite store");
  }
  const fs::path db = database_path(globals.data_dir);
  if (!fs::exists(db)) {
    return make_error(ErrorCode::not_found, "no Parley data in " + globals.data_dir + "; nothing to back up");
  }
  if (fs::exists(file) && !force) {
    return make_error(ErrorCode::conflict, file.string() + " exists; add --force to replace it");
  }
  const fs::path partial = file.string() + ".partial";
  const fs::path copy = file.string() + ".db-copy";
  std::error_code ignored;
  fs::remove(partial, ignored);
  fs::remove(copy, ignored);
  // Whatever way this ends, no half-written file stays behind.
  struct Leftovers {
    std::vector<fs::path> paths;
    ~Leftovers() {
      std::error_code failed;
      for (const auto& path : paths) fs::remove(path, failed);
    }
  } leftovers{{partial, copy}};
  const Interruption interruption;
  const double database_mb = megabytes(static_cast<double>(fs::file_size(db)));
  Progress progress("backup", "MB", database_mb, progress_style_for(stderr, quiet));

  // 1. The database as of one instant, while the server goes on writing.
  Status copied = store::copy_database(db.string(), copy.string(), [&](const store::CopyProgress& step) {
    progress.set_total(megabytes(static_cast<double>(step.pages_total * step.page_size)) * 2);
    progress.update(megabytes(static_cast<double>(step.pages_done * step.page_size)), "copying the database");
    return !Interruption::requested();
  });
  if (!copied.ok()) {
    if (Interruption::requested()) {
      return make_error(ErrorCode::unavailable, "interrupted: no backup was written (" + file.string() + " is unchanged)");
    }
    return copied;
  }
  const double copy_mb = megabytes(static_cast<double>(fs::file_size(copy)));
  PARLEY_ASSIGN_OR_RETURN(const auto summary, store::summarize_database(copy.string()));
  PARLEY_ASSIGN_OR_RETURN(const std::string db_sha256, guard::sha256_file(copy));

  Json manifest = {{"format", kFormat},
                   {"version", kFormatVersion},
                   {"created_at", format_rfc3339(unix_millis())},
                   {"parley_version", PARLEY_VERSION},
                   {"schema_version", summary.schema_version},
                   {"rows", summary.rows},
                   {"files", Json::object()}};
  manifest["files"][kDatabase] = {{"bytes", fs::file_size(copy)}, {"sha256", db_sha256}};
  const fs::path config = config_path(globals.data_dir);
  std::string config_text;
  if (fs::exists(config)) {
    config_text = read_text_file(config);
    manifest["files"][kConfig] = {{"bytes", config_text.size()}, {"sha256", sha256_hex(config_text)}};
  }
  const std::string manifest_text = manifest.dump(2) + "\n";

  // 2. The archive: the manifest and the settings, then the database stored as it is (pages compress poorly for
  // the time it takes, and a stored member can be checked and extracted at disk speed).
  int error_code = 0;
  ZipArchive archive(zip_open(partial.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error_code));
  if (!archive) {
    return make_error(ErrorCode::unavailable, "cannot create " + partial.string() + " (libzip error " + std::to_string(error_code) + ")");
  }
  const auto add_buffer = [&](const char* name, const std::string& text) -> Status {
    zip_source_t* source = zip_source_buffer(archive.get(), text.data(), text.size(), 0);
    if (source == nullptr || zip_file_add(archive.get(), name, source, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE) < 0) {
      if (source != nullptr) zip_source_free(source);
      return make_error(ErrorCode::internal, std::string("cannot add ") + name + ": " + zip_error_text(archive.get()));
    }
    return {};
  };
  Status added = add_buffer(kManifest, manifest_text);
  if (added.ok() && !config_text.empty()) added = add_buffer(kConfig, config_text);
  if (added.ok()) {
    zip_source_t* source = zip_source_file(archive.get(), copy.c_str(), 0, -1);
    const zip_int64_t index =
        source == nullptr ? -1 : zip_file_add(archive.get(), kDatabase, source, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
    if (index < 0) {
      if (source != nullptr) zip_source_free(source);
      added = make_error(ErrorCode::internal, std::string("cannot add the database: ") + zip_error_text(archive.get()));
    } else {
      zip_set_file_compression(archive.get(), static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
    }
  }
  if (!added.ok()) {
    return added;
  }
  ZipProgress zip_progress{&progress, copy_mb, copy_mb};
  zip_register_progress_callback_with_state(
      archive.get(), 0.005,
      [](zip_t*, double fraction, void* state) {
        auto* p = static_cast<ZipProgress*>(state);
        p->progress->update(p->base + fraction * p->bytes, "writing the archive");
      },
      nullptr, &zip_progress);
  zip_register_cancel_callback_with_state(
      archive.get(), [](zip_t*, void*) { return Interruption::requested() ? 1 : 0; }, nullptr, nullptr);
  if (zip_close(archive.get()) < 0) {
    const std::string why = zip_error_text(archive.get());
    if (Interruption::requested()) {
      return make_error(ErrorCode::unavailable, "interrupted: no backup was written (" + file.string() + " is unchanged)");
    }
    return make_error(ErrorCode::unavailable, "cannot write " + file.string() + ": " + why);
  }
  (void)archive.release();  // closed
  fs::remove(copy, ignored);
  sync_file(partial);
  fs::rename(partial, file);
  sync_file(file);
  progress.update(copy_mb * 2);
  progress.finish("wrote " + file.string() + " (" + std::to_string(static_cast<long long>(copy_mb)) + " MB database)");
  if (json) {
    Json out = manifest;
    out["file"] = file.string();
    out["bytes"] = fs::file_size(file);
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "backup " << file.string() << ": schema " << summary.schema_version << ", "
              << summary.rows.at("bots") << " bots, " << summary.rows.at("chunks") << " chunks, "
              << summary.rows.at("messages") << " messages" << (config_text.empty() ? "" : ", with parley.toml") << "\n";
  }
  return {};
}

// An opened backup: its manifest, checked against the format.
struct OpenedBackup {
  ZipArchive archive;
  Json manifest;
};

Result<OpenedBackup> open_backup(const fs::path& file) {
  int error_code = 0;
  ZipArchive archive(zip_open(file.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &error_code));
  if (!archive) {
    zip_error_t error;
    zip_error_init_with_code(&error, error_code);
    const std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    return make_error(ErrorCode::unprocessable, file.string() + " is not a readable backup: " + why);
  }
  zip_stat_t stat;
  if (zip_stat(archive.get(), kManifest, 0, &stat) != 0 || stat.size > (1u << 20)) {
    return make_error(ErrorCode::unprocessable, file.string() + " is not a Parley backup (no manifest)");
  }
  std::string text(stat.size, '\0');
  zip_file_t* member = zip_fopen(archive.get(), kManifest, 0);
  const zip_int64_t got = member != nullptr ? zip_fread(member, text.data(), text.size()) : -1;
  if (member != nullptr) zip_fclose(member);
  if (got != static_cast<zip_int64_t>(text.size())) {
    return make_error(ErrorCode::unprocessable, file.string() + ": the manifest cannot be read");
  }
  Json manifest = Json::parse(text, nullptr, false);
  if (manifest.is_discarded() || !manifest.is_object() || manifest.value("format", "") != kFormat ||
      !manifest.contains("files") || !manifest["files"].is_object() || !manifest["files"].contains(kDatabase)) {
    return make_error(ErrorCode::unprocessable, file.string() + " is not a Parley backup (bad manifest)");
  }
  if (manifest.value("version", 0) > kFormatVersion) {
    return make_error(ErrorCode::unprocessable, file.string() + " was written by a newer Parley (backup format " +
                                                    std::to_string(manifest.value("version", 0)) + ")");
  }
  return OpenedBackup{std::move(archive), std::move(manifest)};
}

// Extracts each file the manifest lists into `folder`, checking its size and SHA-256 on the way.
Status extract_checked(OpenedBackup& backup, const fs::path& folder, Progress& progress) {
  double done = 0;
  for (const auto& [name, expected] : backup.manifest["files"].items()) {
    if (name != kDatabase && name != kConfig) continue;  // only names we write; nothing lands outside the folder
    zip_file_t* member = zip_fopen(backup.archive.get(), name.c_str(), 0);
    if (member == nullptr) return make_error(ErrorCode::unprocessable, "the backup lacks " + name);
    std::ofstream out(folder / name, std::ios::binary | std::ios::trunc);
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    std::vector<char> block(1 << 20);
    std::uint64_t bytes = 0;
    zip_int64_t got = 0;
    while ((got = zip_fread(member, block.data(), block.size())) > 0) {
      crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(block.data()), static_cast<unsigned long long>(got));
      out.write(block.data(), got);
      bytes += static_cast<std::uint64_t>(got);
      done += static_cast<double>(got);
      progress.update(megabytes(done), "checking " + name);
      if (Interruption::requested()) {
        zip_fclose(member);
        return make_error(ErrorCode::unavailable, "interrupted");
      }
    }
    zip_fclose(member);
    out.close();
    if (got < 0 || !out) return make_error(ErrorCode::unprocessable, "cannot extract " + name + " (damaged archive or full disk)");
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&state, digest);
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    if (bytes != expected.value("bytes", std::uint64_t{0}) || expected.value("sha256", "") != hex) {
      return make_error(ErrorCode::unprocessable, name + " in the backup does not match its manifest (damaged backup)");
    }
  }
  return {};
}

// A scratch folder removed with everything in it when it goes.
struct ScratchFolder {
  explicit ScratchFolder(fs::path at) : path(std::move(at)) { fs::create_directories(path); }
  ~ScratchFolder() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  fs::path path;
};

double backup_megabytes(const Json& manifest) {
  double bytes = 0;
  for (const auto& [name, entry] : manifest["files"].items()) bytes += entry.value("bytes", 0.0);
  return megabytes(bytes);
}

// Extracts and checks a backup in `scratch`: sums, then the database's own integrity check.
Result<store::IntegrityReport> check_backup(OpenedBackup& backup, const fs::path& scratch, Progress& progress) {
  PARLEY_TRY(extract_checked(backup, scratch, progress));
  PARLEY_ASSIGN_OR_RETURN(auto report, store::check_database((scratch / kDatabase).string(), true));
  if (!report.ok) {
    std::string problems;
    for (const auto& problem : report.problems) problems += "\n  " + problem;
    return make_error(ErrorCode::unprocessable, "the database in the backup fails its integrity check:" + problems);
  }
  return report;
}

Status verify_backup(const fs::path& file, bool quiet, bool json) {
  PARLEY_ASSIGN_OR_RETURN(auto backup, open_backup(file));
  const Interruption interruption;
  Progress progress("verify", "MB", backup_megabytes(backup.manifest), progress_style_for(stderr, quiet));
  const ScratchFolder scratch(fs::temp_directory_path() / ("parley-verify-" + std::to_string(::getpid())));
  PARLEY_ASSIGN_OR_RETURN(const auto report, check_backup(backup, scratch.path, progress));
  PARLEY_ASSIGN_OR_RETURN(const auto summary, store::summarize_database((scratch.path / kDatabase).string()));
  progress.finish("checked");
  const Json& manifest = backup.manifest;
  if (json) {
    std::cout << Json{{"file", file.string()}, {"ok", true}, {"created_at", manifest.value("created_at", "")},
                      {"schema_version", summary.schema_version}, {"rows", summary.rows},
                      {"has_config", manifest["files"].contains(kConfig)}}
                     .dump(2)
              << "\n";
    return {};
  }
  std::cout << file.string() << ": ok (written " << manifest.value("created_at", "?") << " by Parley "
            << manifest.value("parley_version", "?") << ")\n"
            << "  database: schema " << summary.schema_version << ", " << report.page_count << " pages, integrity ok\n";
  for (const auto& [table, count] : summary.rows) std::cout << "  " << table << ": " << count << "\n";
  std::cout << "  parley.toml: " << (manifest["files"].contains(kConfig) ? "included" : "not included") << "\n";
  return {};
}

Status restore_backup(const fs::path& file, const fs::path& data_dir, bool force, bool quiet) {
  PARLEY_ASSIGN_OR_RETURN(auto backup, open_backup(file));
  const fs::path db = database_path(data_dir);
  const fs::path config = config_path(data_dir);
  if (store::database_in_use(db.string())) {
    return make_error(ErrorCode::conflict, db.string() + " is open in a running Parley; stop it before restoring");
  }
  if ((fs::exists(db) || fs::exists(config)) && !force) {
    return make_error(ErrorCode::conflict, data_dir.string() + " already holds Parley data; add --force to replace it "
                                           "(it is not kept: back it up first if it matters)");
  }
  fs::create_directories(data_dir);
  const Interruption interruption;
  Progress progress("restore", "MB", backup_megabytes(backup.manifest), progress_style_for(stderr, quiet));
  // Extracted and checked beside the target (same file system, so the final moves are renames).
  const ScratchFolder scratch(data_dir / (".parley-restore-" + std::to_string(::getpid())));
  const auto checked = check_backup(backup, scratch.path, progress);
  if (!checked.ok()) {
    if (Interruption::requested()) {
      return make_error(ErrorCode::unavailable, "interrupted: nothing was restored (" + data_dir.string() + " is unchanged)");
    }
    return checked.error();
  }
  // The old database's log and shared memory must go with it: SQLite would apply a stale log to the restored file.
  std::error_code ignored;
  for (const char* suffix : {"-wal", "-shm", "-journal"}) fs::remove(db.string() + suffix, ignored);
  fs::rename(scratch.path / kDatabase, db);
  sync_file(db);
  if (fs::exists(scratch.path / kConfig)) {
    fs::rename(scratch.path / kConfig, config);
    sync_file(config);
  }
  PARLEY_ASSIGN_OR_RETURN(const auto summary, store::summarize_database(db.string()));
  progress.finish("restored");
  std::cout << "restored " << file.string() << " into " << data_dir.string() << ": schema " << summary.schema_version
            << ", " << summary.rows.at("bots") << " bots, " << summary.rows.at("chunks") << " chunks, "
            << summary.rows.at("messages") << " messages (written " << backup.manifest.value("created_at", "?") << ")\n";
  return {};
}

}  // namespace

void add_backup_commands(CLI::App& app, Globals& globals) {
  auto* backup = app.add_subcommand("backup", "Back up, verify and restore the data folder (database and parley.toml)");
  backup->require_subcommand(1);
  struct Options {
    std::string file;
    std::string data;
    bool force = false;
    bool quiet = false;
    bool json = false;
  };
  auto options = std::make_shared<Options>();

  auto* create = backup->add_subcommand("create", "Write a consistent backup while the server keeps serving");
  create->add_option("file", options->file, "The backup file to write (a zip archive)")->required();
  create->add_flag("--force", options->force, "Replace the file if it exists");
  create->add_flag("--quiet", options->quiet, "No progress output");
  create->add_flag("--json", options->json, "Print the backup's manifest as JSON");
  create->callback(command_action(globals, [&globals, options]() -> Status {
    return create_backup(globals, options->file, options->force, options->quiet, options->json);
  }));

  auto* verify = backup->add_subcommand("verify", "Check a backup: archive, checksums, database integrity");
  verify->add_option("file", options->file, "The backup file")->required();
  verify->add_flag("--quiet", options->quiet, "No progress output");
  verify->add_flag("--json", options->json, "Print the result as JSON");
  verify->callback(command_action(globals, [options]() -> Status {
    return verify_backup(options->file, options->quiet, options->json);
  }));

  auto* restore = backup->add_subcommand("restore", "Restore a backup into a data folder");
  restore->add_option("file", options->file, "The backup file")->required();
  restore->add_option("--data", options->data, "The data folder to restore into")->required();
  restore->add_flag("--force", options->force, "Replace the Parley data the folder holds");
  restore->add_flag("--quiet", options->quiet, "No progress output");
  restore->callback(command_action(globals, [options]() -> Status {
    return restore_backup(options->file, options->data, options->force, options->quiet);
  }));
}

}  // namespace parley::cli
