// parley migrate: brings the store's schema to this version (replicas also migrate when they start, one at a time).
// parley store copy --to postgresql://...: copies the data folder's SQLite store into PostgreSQL (docs/SCALING.md).
#include <iostream>

#include "cli/commands.h"
#include "store/copy.h"

namespace parley::cli {

void add_store_commands(CLI::App& app, Globals& globals) {
  auto* migrate = app.add_subcommand("migrate", "Apply the store's schema migrations (SQLite or PostgreSQL)");
  migrate->callback(command_action(globals, [&globals]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    std::cout << "schema version " << store->schema_version() << "\n";
    return {};
  }));

  auto* store = app.add_subcommand("store", "Move the data between stores");
  store->require_subcommand(1);
  auto* copy = store->add_subcommand("copy", "Copy the data folder's SQLite store into an empty PostgreSQL database");
  auto target = std::make_shared<std::string>();
  copy->add_option("--to", *target, "postgresql://user:password@host:port/database (or PARLEY_STORE_URL)");
  copy->callback(command_action(globals, [&globals, target]() -> Status {
    std::string url = *target;
    if (url.empty()) {
      const char* from_environment = std::getenv("PARLEY_STORE_URL");
      url = from_environment != nullptr ? from_environment : "";
    }
    if (url.empty()) return make_error(ErrorCode::invalid_request, "give the target with --to postgresql://...");
    const auto source = database_path(globals.data_dir);
    if (!std::filesystem::exists(source)) {
      return make_error(ErrorCode::not_found, "no SQLite store in " + globals.data_dir);
    }
    std::cout << "copying " << source.string() << " to " << store::redacted_url(url) << "\n";
    std::int64_t total = 0;
    PARLEY_ASSIGN_OR_RETURN(const auto tables, store::copy_to_postgres(source.string(), url, [&](const store::CopiedTable& table) {
      std::cout << "  " << table.name << ": " << table.rows << " rows\n";
      total += table.rows;
    }));
    std::cout << "copied " << tables.size() << " tables, " << total
              << " rows; every count matches. Point the servers at it with [store] url or PARLEY_STORE_URL.\n";
    return {};
  }));
}

}  // namespace parley::cli
