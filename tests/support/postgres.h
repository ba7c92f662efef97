// A real PostgreSQL server for tests, started by the test process itself: initdb and pg_ctl in a temporary folder,
// listening only on a Unix socket in that folder (no port to collide with). Run as root (CI), the server runs as
// the `postgres` system user, since PostgreSQL refuses root. One server per test process (started on first use,
// stopped at exit), a fresh schema per store (create_database).
#pragma once

#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/process.h"

namespace parley::testing {

class PostgresServer {
 public:
  // The process's server, started on first use. Throws when PostgreSQL cannot be started.
  static PostgresServer& instance() {
    static PostgresServer server;
    return server;
  }

  // A new, empty database for one store; returns its URL. It is a schema of its own in the server's one database
  // (the URL sets search_path): CREATE DATABASE costs a checkpoint, about a second per test on a busy machine,
  // a schema a few milliseconds. Everything the store does is confined to its schema but the database-wide
  // advisory locks (migrations, the audit chain) and NOTIFY channels, which stores sharing a database share anyway.
  std::string create_database() {
    static std::atomic<int> counter{0};
    const std::string name = "test_" + std::to_string(counter++);
    const auto result = run(bin("psql"), {"-h", socket_dir(), "-U", "parley", "-d", kDatabase, "-v", "ON_ERROR_STOP=1",
                                          "-q", "-c", "CREATE SCHEMA " + name});
    if (result.exit_code != 0) throw std::runtime_error("CREATE SCHEMA failed: " + result.err);
    return url(kDatabase) + "&options=-csearch_path%3D" + name;
  }

  std::string url(const std::string& database) const {
    return "postgresql://parley@/" + database + "?host=" + socket_dir();
  }

  // Stops the server (fast shutdown: connections are closed), and starts it again on the same data.
  void stop() { pg_ctl({"stop", "-m", "fast"}); }
  void start() {
    pg_ctl({"start", "-w", "-l", (root_ / "server.log").string(), "-o",
            "-k " + socket_dir() +
                " -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                " -c max_connections=300 -c shared_buffers=32MB"});
  }
  void restart() {
    stop();
    start();
  }

  std::string socket_dir() const { return (root_ / "socket").string(); }
  std::string bin(const std::string& program) const { return bindir_ + "/" + program; }

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

 private:
  PostgresServer() {
    bindir_ = find_bindir();
    std::string pattern = (std::filesystem::temp_directory_path() / "parley-pg-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a folder for PostgreSQL");
    root_ = pattern;
    std::filesystem::create_directories(root_ / "socket");
    if (::geteuid() == 0) {
      // PostgreSQL refuses to run as root: the folder goes to the postgres user, which runs the server.
      const passwd* user = ::getpwnam("postgres");
      if (user == nullptr) throw std::runtime_error("running as root and there is no `postgres` user");
      for (const auto& path : {root_, root_ / "socket"}) {
        if (::chown(path.c_str(), user->pw_uid, user->pw_gid) != 0) throw std::runtime_error("chown failed");
      }
      run_as_ = {"/usr/sbin/runuser", "-u", "postgres", "--"};
    }
    const auto init = run(bin("initdb"), {"-D", data(), "-U", "parley", "-A", "trust", "-E", "UTF8", "--locale=C",
                                          "--no-sync", "--no-instructions"});
    if (init.exit_code != 0) throw std::runtime_error("initdb failed: " + init.err + init.out);
    start();
    const auto created = run(bin("createdb"), {"-h", socket_dir(), "-U", "parley", kDatabase});
    if (created.exit_code != 0) throw std::runtime_error("createdb failed: " + created.err);
  }

  static constexpr const char* kDatabase = "parley_tests";

  ~PostgresServer() {
    pg_ctl({"stop", "-m", "immediate"});
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

  static std::string find_bindir() {
    if (const char* dir = std::getenv("PARLEY_PG_BINDIR")) return dir;
    std::string best;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql")) {
      if (std::filesystem::exists(entry.path() / "bin" / "initdb") && entry.path().string() > best) {
        best = entry.path().string();
      }
    }
    if (best.empty()) throw std::runtime_error("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)");
    return best + "/bin";
  }

  std::string data() const { return (root_ / "data").string(); }

  // Runs a PostgreSQL program to completion. Its output goes to a file, not a pipe: `pg_ctl start` leaves the server
  // running with whatever descriptors it inherited, and a pipe would never reach its end.
  ProcessResult run(const std::string& program, const std::vector<std::string>& args) const {
    std::vector<std::string> argv = run_as_;
    argv.push_back(program);
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string output = (root_ / "command.out").string();
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> pointers;
      for (const auto& arg : argv) pointers.push_back(const_cast<char*>(arg.c_str()));
      pointers.push_back(nullptr);
      ::execv(pointers[0], pointers.data());
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    ProcessResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (FILE* file = std::fopen(output.c_str(), "r")) {
      char buffer[4096];
      for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) result.err.append(buffer, n);
      std::fclose(file);
    }
    return result;
  }

  void pg_ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"-D", data()});
    const auto result = run(bin("pg_ctl"), args);
    if (result.exit_code != 0 && args[2] != "stop") {
      throw std::runtime_error("pg_ctl " + args[2] + " failed: " + result.err + result.out);
    }
  }

  std::string bindir_;
  std::filesystem::path root_;
  std::vector<std::string> run_as_;
};

}  // namespace parley::testing
