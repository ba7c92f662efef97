// A tiny SMTP server on loopback for email tests (RFC 5321's plain dialogue: EHLO/HELO, MAIL, RCPT, DATA, RSET,
// NOOP, QUIT; no TLS, no AUTH). It keeps every message it accepted, or refuses recipients with 550 when told to.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parley::testing {

struct SmtpMessage {
  std::string from;
  std::vector<std::string> recipients;
  std::string data;  // the message as sent, dot-unstuffed, without the final "."
};

class SmtpSink {
 public:
  SmtpSink() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listener_, 16);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~SmtpSink() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    if (thread_.joinable()) thread_.join();
  }

  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  void refuse_recipients(bool refuse) { refuse_ = refuse; }

  std::vector<SmtpMessage> messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  bool wait_for(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return messages_.size() >= count; });
  }

 private:
  void accept_loop() {
    while (!stopping_) {
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) break;
      serve(client);  // one session at a time is enough for tests
      ::close(client);
    }
  }

  static bool send_line(int client, const std::string& line) {
    const std::string out = line + "\r\n";
    return ::send(client, out.data(), out.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(out.size());
  }

  void serve(int client) {
    timeval timeout{5, 0};
    ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (!send_line(client, "220 parley-test-sink ESMTP")) return;
    std::string buffer;
    SmtpMessage current;
    bool in_data = false;
    char chunk[4096];
    while (!stopping_) {
      const ssize_t n = ::recv(client, chunk, sizeof chunk, 0);
      if (n <= 0) return;
      buffer.append(chunk, static_cast<std::size_t>(n));
      for (std::size_t end; (end = buffer.find("\r\n")) != std::string::npos;) {
        std::string line = buffer.substr(0, end);
        buffer.erase(0, end + 2);
        if (in_data) {
          if (line == ".") {
            in_data = false;
            {
              std::lock_guard lock(mutex_);
              messages_.push_back(current);
            }
            changed_.notify_all();
            current = {};
            send_line(client, "250 queued");
          } else {
            if (line.rfind("..", 0) == 0) line.erase(0, 1);
            current.data += line + "\r\n";
          }
          continue;
        }
        std::string upper = line.substr(0, 4);
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (upper == "EHLO" || upper == "HELO") {
          send_line(client, "250 parley-test-sink");
        } else if (upper == "MAIL") {
          current = {};
          current.from = line.substr(line.find(':') + 1);
          send_line(client, "250 ok");
        } else if (upper == "RCPT") {
          if (refuse_) {
            send_line(client, "550 no such user here");
          } else {
            current.recipients.push_back(line.substr(line.find(':') + 1));
            send_line(client, "250 ok");
          }
        } else if (upper == "DATA") {
          in_data = true;
          send_line(client, "354 end with <CRLF>.<CRLF>");
        } else if (upper == "QUIT") {
          send_line(client, "221 bye");
          return;
        } else if (upper == "RSET" || upper == "NOOP") {
          send_line(client, "250 ok");
        } else {
          send_line(client, "502 not implemented");
        }
      }
    }
  }

  int listener_ = -1;
  unsigned short port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> refuse_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<SmtpMessage> messages_;
};

}  // namespace parley::testing
