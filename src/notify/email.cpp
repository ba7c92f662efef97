#include "notify/email.h"

#include <curl/curl.h>
#include <sodium.h>

#include <ctime>
#include <mutex>

#include "common/utf8.h"

namespace parley::notify {
namespace {

constexpr std::size_t kMaxRecipients = 20;

bool is_ascii_letter_or_digit(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 5322 dot-atom characters of a local part (no quoted strings: nobody types those into a form).
bool is_local_char(char c) {
  return is_ascii_letter_or_digit(c) || std::string_view("!#$%&'*+/=?^_`{|}~-.").find(c) != std::string_view::npos ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool valid_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253 || domain.find('.') == std::string_view::npos) return false;
  std::size_t start = 0;
  while (start <= domain.size()) {
    const std::size_t end = std::min(domain.find('.', start), domain.size());
    const std::string_view label = domain.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!is_ascii_letter_or_digit(c) && c != '-' && static_cast<unsigned char>(c) < 0x80) return false;
    }
    start = end + 1;
  }
  const std::string_view top = domain.substr(domain.rfind('.') + 1);
  return top.size() >= 2 && !std::isdigit(static_cast<unsigned char>(top.front()));
}

std::string field(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Header values never contain line breaks (a visitor's name must not add a header).
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) out += (c == '\r' || c == '\n' || c == '\t') ? ' ' : c;
  return out;
}

std::string base64(std::string_view bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

bool is_ascii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// RFC 2047 encoded words of at most 45 bytes of text each (so each line stays under 76 characters).
std::string encode_header_text(std::string_view text) {
  if (is_ascii(text)) return std::string(text);
  std::string out;
  while (!text.empty()) {
    const std::size_t take = std::max<std::size_t>(1, utf8_prefix_length(text, 45));
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(text.substr(0, take)) + "?=";
    text.remove_prefix(std::min(take, text.size()));
  }
  return out;
}

std::string rfc5322_date(std::int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[utc.tm_wday], utc.tm_mday,
                kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return buffer;
}

std::string lead_text(const Json& lead) {
  std::string text;
  for (const auto& [key, label] : {std::pair{"name", "Name"}, {"email", "Email"}, {"phone", "Phone"}, {"company", "Company"}}) {
    const std::string value = field(lead, key);
    if (!value.empty()) text += std::string(label) + ": " + value + "\n";
  }
  if (const auto custom = lead.find("fields"); custom != lead.end() && custom->is_object()) {
    for (auto it = custom->begin(); it != custom->end(); ++it) {
      text += it.key() + ": " + (it->is_string() ? it->get<std::string>() : it->dump()) + "\n";
    }
  }
  return text;
}

std::once_flag curl_initialised;

struct Upload {
  std::string_view data;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto& upload = *static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload.data.size());
  std::memcpy(buffer, upload.data.data(), n);
  upload.data.remove_prefix(n);
  return n;
}

}  // namespace

Result<std::string> normalize_email(std::string_view text) {
  const std::string email = trim(text);
  const auto invalid = [](std::string why) {
    return make_error(ErrorCode::invalid_request, "this email address is not valid: " + std::move(why));
  };
  if (email.empty()) return invalid("it is empty");
  if (email.size() > kMaxEmailBytes) return invalid("it is longer than 254 characters");
  if (!is_valid_utf8(email)) return invalid("it is not valid text");
  const std::size_t at = email.rfind('@');
  if (at == std::string::npos) return invalid("it has no @");
  const std::string_view local = std::string_view(email).substr(0, at);
  std::string domain = email.substr(at + 1);
  if (local.empty() || local.size() > 64) return invalid("the part before the @ is empty or too long");
  for (char c : local) {
    if (!is_local_char(c)) return invalid("it contains a character an address cannot have");
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return invalid("the dots before the @ are misplaced");
  }
  for (char& c : domain) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (!valid_domain(domain)) return invalid("the part after the @ is not a domain like example.com");
  return std::string(local) + "@" + domain;
}

std::vector<std::string> notification_emails(const Json& settings) {
  std::vector<std::string> out;
  if (!settings.is_object()) return out;
  const auto notifications = settings.find("notifications");
  if (notifications == settings.end() || !notifications->is_object()) return out;
  const auto emails = notifications->find("emails");
  if (emails == notifications->end() || !emails->is_array()) return out;
  for (const auto& email : *emails) {
    if (!email.is_string()) continue;
    if (auto normalised = normalize_email(email.get<std::string>()); normalised.ok()) out.push_back(*normalised);
  }
  return out;
}

Status validate_notification_settings(const Json& notifications) {
  if (!notifications.is_object()) return make_error(ErrorCode::invalid_request, "settings.notifications must be an object");
  for (auto it = notifications.begin(); it != notifications.end(); ++it) {
    if (it.key() != "emails") {
      return make_error(ErrorCode::invalid_request, "settings.notifications." + it.key() + " is not a notification setting");
    }
    if (!it->is_array()) return make_error(ErrorCode::invalid_request, "settings.notifications.emails must be a list of addresses");
    if (it->size() > kMaxRecipients) {
      return make_error(ErrorCode::invalid_request, "settings.notifications.emails has more than 20 addresses");
    }
    for (const auto& email : *it) {
      if (!email.is_string()) return make_error(ErrorCode::invalid_request, "settings.notifications.emails must be a list of addresses");
      if (auto checked = normalize_email(email.get<std::string>()); !checked.ok()) {
        return make_error(ErrorCode::invalid_request, "settings.notifications.emails: \"" + email.get<std::string>() +
                                                          "\": " + checked.error().message);
      }
    }
  }
  return {};
}

std::optional<EmailContent> email_for_event(const Event& event) {
  const std::string bot = one_line(event.bot_name);
  if (event.type == event_type::lead_created) {
    const Json lead = event.data.value("lead", Json::object());
    std::string who = field(lead, "name");
    if (who.empty()) who = field(lead, "email");
    if (who.empty()) who = field(lead, "phone");
    return EmailContent{"New lead from " + bot + (who.empty() ? "" : ": " + one_line(who)),
                        "Someone left their details with " + bot + ".\n\n" + lead_text(lead) +
                            "\nThe conversation is in the Parley admin app, under the bot's leads.\n"};
  }
  if (event.type == event_type::handoff_requested) {
    const Json conversation = event.data.value("conversation", Json::object());
    return EmailContent{"A visitor of " + bot + " asks for a person",
                        "A visitor of " + bot + " asks to talk to a person.\n\n" + field(conversation, "summary") +
                            "\n\nTake the conversation in the Parley admin app's inbox.\n"};
  }
  if (event.type == event_type::account_link) {
    const std::string link = field(event.data, "link");
    if (event.data.value("purpose", std::string()) == "invite") {
      return EmailContent{"You are invited to Parley",
                          one_line(field(event.data, "invited_by")) + " invites you to their Parley workspace, where "
                          "you can answer visitors and manage the chatbots.\n\nChoose your password here (the link "
                          "works once, for 7 days):\n" + link + "\n"};
    }
    return EmailContent{"Reset your Parley password",
                        "Someone asked to reset the password of " + one_line(field(event.data, "email")) +
                            " in Parley. Choose a new password here (the link works once, for 24 hours):\n" + link +
                            "\n\nIf this was not you, ignore this email: your password stays as it is.\n"};
  }
  return std::nullopt;
}

std::string compose_email(std::string_view from, const std::vector<std::string>& to, std::string_view subject,
                          std::string_view text, std::string_view message_id, std::int64_t unix_ms) {
  std::string recipients;
  for (const auto& address : to) recipients += (recipients.empty() ? "" : ", ") + one_line(address);
  std::string body;
  for (char c : text) {  // CR LF line ends, as SMTP wants them
    if (c == '\r') continue;
    if (c == '\n') body += '\r';
    body += c;
  }
  std::string message = "Date: " + rfc5322_date(unix_ms) + "\r\n" + "From: Parley <" + one_line(from) + ">\r\n" +
                        "To: " + recipients + "\r\n" + "Subject: " + encode_header_text(one_line(subject)) + "\r\n" +
                        "Message-ID: <" + one_line(message_id) + ">\r\n" + "MIME-Version: 1.0\r\n" +
                        "Content-Type: text/plain; charset=utf-8\r\n" + "Content-Transfer-Encoding: base64\r\n\r\n";
  const std::string encoded = base64(body);
  for (std::size_t i = 0; i < encoded.size(); i += 76) message += encoded.substr(i, 76) + "\r\n";
  return message;
}

Status send_email(const SmtpSettings& smtp, const std::vector<std::string>& recipients, const std::string& message) {
  if (smtp.url.empty() || smtp.from.empty()) {
    return make_error(ErrorCode::unprocessable, "SMTP is not configured (parley.toml: [smtp] url and from)");
  }
  if (recipients.empty()) return make_error(ErrorCode::unprocessable, "no recipients");
  std::call_once(curl_initialised, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* easy = curl_easy_init();
  if (easy == nullptr) return make_error(ErrorCode::internal, "libcurl could not start a transfer");
  curl_slist* rcpt = nullptr;
  for (const auto& address : recipients) rcpt = curl_slist_append(rcpt, ("<" + one_line(address) + ">").c_str());
  const std::string mail_from = "<" + one_line(smtp.from) + ">";
  Upload upload{message};
  char error_text[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(easy, CURLOPT_URL, smtp.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(easy, CURLOPT_READFUNCTION, &read_upload);
  curl_easy_setopt(easy, CURLOPT_READDATA, &upload);
  curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(smtp.timeout.count()));
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(smtp.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(easy, CURLOPT_USE_SSL, smtp.starttls ? static_cast<long>(CURLUSESSL_ALL) : static_cast<long>(CURLUSESSL_NONE));
  if (!smtp.username.empty()) {
    curl_easy_setopt(easy, CURLOPT_USERNAME, smtp.username.c_str());
    curl_easy_setopt(easy, CURLOPT_PASSWORD, smtp.password.c_str());
  }
  const CURLcode code = curl_easy_perform(easy);
  long reply = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &reply);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(easy);
  if (code == CURLE_OK) return {};
  const std::string detail = error_text[0] != '\0' ? error_text : curl_easy_strerror(code);
  // 5xx is the server's final word: sending the same message again cannot succeed.
  if (reply >= 500 && reply < 600) {
    return make_error(ErrorCode::unprocessable, "the SMTP server refused the message: " + detail);
  }
  switch (code) {
    case CURLE_COULDNT_CONNECT: return make_error(ErrorCode::unavailable, "the SMTP server refused the connection");
    case CURLE_COULDNT_RESOLVE_HOST: return make_error(ErrorCode::unavailable, "the SMTP host name could not be resolved");
    case CURLE_OPERATION_TIMEDOUT:
      return make_error(ErrorCode::timeout, "the SMTP server did not answer within " + std::to_string(smtp.timeout.count()) + " ms");
    case CURLE_USE_SSL_FAILED: return make_error(ErrorCode::unavailable, "the SMTP server does not offer STARTTLS");
    case CURLE_LOGIN_DENIED: return make_error(ErrorCode::unprocessable, "the SMTP server refused the login");
    default:
      return make_error(ErrorCode::unavailable, "SMTP failed: " + detail + (reply > 0 ? " (" + std::to_string(reply) + ")" : ""));
  }
}

}  // namespace parley::notify
