#include "store/postgres/broadcast.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <stdexcept>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/ids.h"

namespace parley::store::postgres {
namespace {

// A replica that missed a notification (it was reconnecting) never asks for the row, so rows need not live long.
constexpr std::int64_t kRetentionMillis = 60'000;
constexpr auto kPruneInterval = std::chrono::minutes(1);
// How long the listener waits for a notification before it looks at its connection again.
constexpr int kWaitMillis = 1'000;

}  // namespace

PgBroadcast::PgBroadcast(std::string url, std::string_view channel, BroadcastReceiver receive, Transaction transaction)
    : url_(std::move(url)),
      channel_("parley_" + std::string(channel)),
      origin_(new_id("replica")),
      receive_(std::move(receive)),
      transaction_(std::move(transaction)) {
  for (const char c : channel) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
      throw std::invalid_argument("a broadcast channel is made of letters, digits and '_'");
    }
  }
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::runtime_error("cannot create an eventfd for a broadcast");
  try {
    connect();
  } catch (const PgError&) {
    listener_.reset();  // the thread tries again
  }
  thread_ = std::jthread([this](std::stop_token stop) { listen(stop); });
}

PgBroadcast::~PgBroadcast() {
  thread_.request_stop();
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  thread_.join();
  ::close(wake_fd_);
}

Status PgBroadcast::send(std::string_view message) {
  return transaction_([&](Connection& db) {
    auto insert = db.prepare_insert("INSERT INTO broadcasts (channel, origin, message, at) VALUES (?, ?, ?, ?)");
    insert.bind(1, channel_).bind(2, origin_).bind(3, message).bind(4, unix_millis());
    const std::int64_t id = db.insert(insert);
    // Delivered at commit, after the row is visible.
    db.prepare("SELECT pg_notify(?, ?)").bind(1, channel_).bind(2, std::to_string(id) + " " + origin_).run();
  });
}

void PgBroadcast::connect() {
  listener_ = std::make_unique<Connection>(url_);
  listener_->exec("LISTEN " + channel_);
}

void PgBroadcast::receive_pending() {
  PGconn* handle = listener_->handle();
  if (PQconsumeInput(handle) == 0) throw PgError("", PQerrorMessage(handle), true);
  // Reading the rows may bring more notifications in: until none is left.
  for (;;) {
    std::vector<std::int64_t> ids;
    std::vector<std::string> origins;
    while (PGnotify* notification = PQnotifies(handle)) {
      const std::string_view payload(notification->extra);
      const auto space = payload.find(' ');
      std::int64_t id = 0;
      if (space != std::string_view::npos && payload.substr(space + 1) != origin_ &&
          std::from_chars(payload.data(), payload.data() + space, id).ec == std::errc()) {
        ids.push_back(id);
        origins.emplace_back(payload.substr(space + 1));
      }
      PQfreemem(notification);
    }
    if (ids.empty()) return;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      // The origin too: stores in other schemas of the database share the channel, not the table.
      auto row = listener_->prepare("SELECT message FROM broadcasts WHERE id = ? AND origin = ?");
      row.bind(1, ids[i]).bind(2, origins[i]);
      if (row.step()) {
        const std::string message = row.text(0);
        row.run();
        receive_(message);
      }
    }
  }
}

void PgBroadcast::listen(std::stop_token stop) {
  auto last_prune = std::chrono::steady_clock::now() - kPruneInterval;
  std::int64_t failures = 0;
  while (!stop.stop_requested()) {
    try {
      if (!listener_ || listener_->broken()) connect();
      pollfd descriptors[2] = {{PQsocket(listener_->handle()), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      ::poll(descriptors, 2, kWaitMillis);
      if (stop.stop_requested()) break;
      receive_pending();
      if (std::chrono::steady_clock::now() - last_prune >= kPruneInterval) {
        last_prune = std::chrono::steady_clock::now();
        listener_->prepare("DELETE FROM broadcasts WHERE at < ?").bind(1, unix_millis() - kRetentionMillis).run();
      }
      failures = 0;
    } catch (const std::exception& error) {
      // PostgreSQL away (restart, network): messages sent meanwhile are missed; try again, quietly after the first.
      if (failures++ == 0) spdlog::warn("broadcast {}: cannot listen: {}", channel_, error.what());
      listener_.reset();
      pollfd wake{wake_fd_, POLLIN, 0};
      ::poll(&wake, 1, 200);
    }
  }
}

}  // namespace parley::store::postgres
