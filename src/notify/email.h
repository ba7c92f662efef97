// Email notifications: addresses, the text of each notification, the RFC 5322 message, and sending it over SMTP
// with libcurl (smtp:// with optional STARTTLS, or smtps://).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "notify/events.h"

namespace parley::notify {

constexpr std::size_t kMaxEmailBytes = 254;

// An email address as typed by a person, checked and normalised: trimmed, the domain lower-cased. Refused (with a
// message fit for the visitor): no "@", empty or over-long parts, spaces, quotes, angle brackets, consecutive or
// leading dots, a domain without a dot or with a bad label. Non-ASCII letters (RFC 6531) are allowed.
Result<std::string> normalize_email(std::string_view text);

// settings.notifications.emails of a bot: who is emailed about new leads and handoffs (up to 20 addresses).
std::vector<std::string> notification_emails(const Json& settings);
Status validate_notification_settings(const Json& notifications);

// The event types that are emailed, and the subject and plain text of each; nullopt for the others.
struct EmailContent {
  std::string subject;
  std::string text;
};
std::optional<EmailContent> email_for_event(const Event& event);

// An RFC 5322 message: UTF-8 subject (RFC 2047), a base64 UTF-8 text body, CR LF line ends. Header values are
// cleaned of line breaks, so nothing from a visitor can add a header.
std::string compose_email(std::string_view from, const std::vector<std::string>& to, std::string_view subject,
                          std::string_view text, std::string_view message_id, std::int64_t unix_ms);

struct SmtpSettings {
  std::string url;   // smtp://host:port (port 25 or 587) or smtps://host:465
  std::string from;  // the sender address
  std::string username;
  std::string password;
  bool starttls = false;  // on smtp://, refuse to send unless the server upgrades to TLS
  std::chrono::milliseconds timeout{30'000};
  std::chrono::milliseconds connect_timeout{10'000};
};

// Sends one message to `recipients`. Errors say what the server answered ("the SMTP server refused the recipient:
// 550 ...") or what went wrong with the connection.
Status send_email(const SmtpSettings& smtp, const std::vector<std::string>& recipients, const std::string& message);

}  // namespace parley::notify
