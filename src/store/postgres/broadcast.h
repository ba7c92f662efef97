// Store::open_broadcast on PostgreSQL. A message is a row of `broadcasts` plus a NOTIFY naming it, sent in one
// transaction: the notification reaches the other replicas only once the row is committed, and a message of any
// size fits (a NOTIFY payload holds at most 8,000 bytes). Each replica listens on a connection of its own, on its
// own thread, reads the rows that other replicas' notifications name, and hands them to the receiver. The rows are
// live events, not records: the table is UNLOGGED (its commits wait for no disk) and rows older than a minute are
// deleted by whichever replica's listener gets there.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "store/postgres/connection.h"
#include "store/store.h"

namespace parley::store::postgres {

class PgBroadcast final : public Broadcast {
 public:
  // Runs `work` in one write transaction of the store, on a pooled connection.
  using Transaction = std::function<Status(const std::function<void(Connection&)>& work)>;

  // Starts listening before it returns (when PostgreSQL answers; otherwise its thread keeps trying), so a message
  // sent by another replica after this returns is heard.
  PgBroadcast(std::string url, std::string_view channel, BroadcastReceiver receive, Transaction transaction);
  PgBroadcast(const PgBroadcast&) = delete;
  PgBroadcast& operator=(const PgBroadcast&) = delete;
  ~PgBroadcast() override;

  Status send(std::string_view message) override;

 private:
  void connect();
  // Hands every message that notifications waiting on the connection name to the receiver.
  void receive_pending();
  void listen(std::stop_token stop);

  const std::string url_;
  const std::string channel_;  // the NOTIFY channel: "parley_" + the broadcast's name
  const std::string origin_;   // this broadcast's id: its own notifications are skipped
  const BroadcastReceiver receive_;
  const Transaction transaction_;
  std::unique_ptr<Connection> listener_;  // used by the constructor, then only by the listening thread
  int wake_fd_ = -1;                      // the destructor ends the thread's wait through it
  std::jthread thread_;
};

}  // namespace parley::store::postgres
