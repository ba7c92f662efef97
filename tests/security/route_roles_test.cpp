// Every route of the API against every role, from the router's own table: a route added without a declared access
// rule fails here, and so does a rule that is declared but not enforced, or a role matrix in docs/SECURITY.md that
// says something else than the code. Requests go over a real socket, with API keys and with signed-in sessions.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "api/handlers.h"
#include "auth/passwords.h"
#include "security/server_fixture.h"

namespace parley::security_test {
namespace {

using ::testing::HasSubstr;
using Headers = std::map<std::string, std::string>;

constexpr const char* kPassword = "a long enough password";
const std::vector<store::Role> kRoles = {store::Role::viewer, store::Role::agent, store::Role::admin, store::Role::owner};

int rank(std::string_view access) {
  if (access == "viewer") return 0;
  if (access == "agent") return 1;
  if (access == "admin") return 2;
  if (access == "owner") return 3;
  return -1;
}

// One caller of the walk: nobody, or a member of workspace A with a role, by API key or by session cookie.
struct Caller {
  std::string name;
  std::optional<store::Role> role;
  Headers headers;
};

class RouteRoles : public ServerFixture {
 protected:
  void SetUp() override {
    start();
    self_ = "127.0.0.1:" + std::to_string(server_->port());
    ASSERT_TRUE(store_->write(store::Scope::workspace(workspace_a_), [&](store::WriteTx& tx) -> Status {
      for (const auto role : kRoles) {
        const std::string name(store::role_name(role));
        PARLEY_ASSIGN_OR_RETURN(auto issued, auth::issue_api_key(tx, workspace_a_, name, role));
        keys_[role] = issued.key;
        store::User user;
        user.workspace_id = workspace_a_;
        user.email = name + "@example.com";
        user.role = role;
        PARLEY_ASSIGN_OR_RETURN(user.password_hash, auth::hash_password(kPassword));
        PARLEY_TRY(tx.create_user(user));
      }
      return {};
    }).ok());
    callers_.push_back({"anonymous", std::nullopt, {}});
    for (const auto role : kRoles) {
      callers_.push_back({std::string(store::role_name(role)) + " key", role, {{"Authorization", "Bearer " + keys_[role]}}});
      callers_.push_back({std::string(store::role_name(role)) + " session", role, {{"Cookie", sign_in(role)}, {"Origin", "http://" + self_}}});
    }
    plant_objects();
  }

  std::string sign_in(store::Role role) {
    const auto login = client_->request(
        "POST", "/api/v1/auth/login",
        nlohmann::json{{"email", std::string(store::role_name(role)) + "@example.com"}, {"password", kPassword}}.dump(),
        {{"Content-Type", "application/json"}, {"Host", self_}, {"Origin", "http://" + self_}});
    EXPECT_EQ(login.status, 200) << login.body;
    const std::string cookie = login.headers.count("Set-Cookie") ? login.headers.at("Set-Cookie") : "";
    return cookie.substr(0, cookie.find(';'));
  }

  // Real objects of workspace A for the path parameters, so that allowed requests reach their handlers' work.
  void plant_objects() {
    params_["bot_id"] = create_bot(key_a_, "Support");
    params_["source_id"] = upload(key_a_, params_["bot_id"], "help.md", "# Shipping\n\nShipping costs $5 worldwide.\n");
    const auto reply = chat(params_["bot_id"], {{"message", "How much is shipping?"}});
    ASSERT_EQ(reply.status, 200) << reply.body;
    params_["conversation_id"] = reply.json().value("conversation_id", "");
    visitor_token_ = reply.json().value("visitor_token", "");
    auto headers = auth(key_a_);
    headers["Content-Type"] = "text/markdown";
    const auto queued = client_->request("POST", "/api/v1/bots/" + params_["bot_id"] + "/sources?async=1&name=later.md",
                                         "# Returns\n\nReturns are free.\n", headers);
    ASSERT_EQ(queued.status, 202) << queued.body;
    params_["job_id"] = queued.json()["job"].value("id", "");
    const auto webhook = client_->request("POST", "/api/v1/webhooks",
                                          nlohmann::json{{"url", "https://hooks.example.com/parley"}, {"events", {"lead.created"}}}.dump(),
                                          auth(key_a_, true));
    ASSERT_EQ(webhook.status, 201) << webhook.body;
    params_["webhook_id"] = webhook.json().value("id", "");
    params_["file"] = "index.js";
    params_["action"] = "pause";
  }

  std::string path_of(const std::string& pattern) {
    std::string path;
    std::size_t at = 0;
    while (at < pattern.size()) {
      const std::size_t open = pattern.find('{', at);
      if (open == std::string::npos) {
        path += pattern.substr(at);
        break;
      }
      const std::size_t close = pattern.find('}', open);
      path += pattern.substr(at, open - at);
      const std::string name = pattern.substr(open + 1, close - open - 1);
      path += params_.contains(name) ? params_[name] : "no_such_" + name;
      at = close + 1;
    }
    return path;
  }

  // The status of a request, from the response's header only (event streams never end), on a fresh connection.
  int status_of(const std::string& method, const std::string& target, const Headers& headers) {
    namespace bhttp = boost::beast::http;
    boost::asio::io_context io;
    boost::beast::tcp_stream stream(io);
    stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server_->port()));
    stream.expires_after(std::chrono::seconds(30));
    bhttp::request<bhttp::string_body> request{bhttp::string_to_verb(method), target, 11};
    request.set(bhttp::field::host, self_);
    for (const auto& [name, value] : headers) request.set(name, value);
    if (method == "POST" || method == "PATCH" || method == "PUT") {
      request.set(bhttp::field::content_type, "application/json");
      request.body() = "{}";
    }
    request.prepare_payload();
    bhttp::write(stream, request);
    boost::beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(method == "HEAD");
    bhttp::read_header(stream, buffer, parser);
    return static_cast<int>(parser.get().result_int());
  }

  std::string target_of(const http::RouteEntry& route) {
    std::string target = path_of(route.pattern);
    // The widget's event stream takes the visitor's token in the query (EventSource sends no headers).
    if (target.find("/widget/") != std::string::npos) target += "?visitor_token=" + visitor_token_;
    return target;
  }

  Headers headers_for(const http::RouteEntry& route, const Caller& caller) {
    Headers headers = caller.headers;
    if (route.pattern.find("/widget/") != std::string::npos) headers["X-Visitor-Token"] = visitor_token_;
    return headers;
  }

  std::size_t audit_entries() {
    const auto log = client_->request("GET", "/api/v1/audit?limit=1000", "", auth(key_a_));
    EXPECT_EQ(log.status, 200) << log.body;
    return log.json()["entries"].size();
  }

  std::string self_;
  std::map<store::Role, std::string> keys_;
  std::vector<Caller> callers_;
  std::map<std::string, std::string> params_;
  std::string visitor_token_;
};

TEST_F(RouteRoles, EveryRouteDeclaresWhoMayCallIt) {
  const auto routes = router_.routes();
  ASSERT_GT(routes.size(), 50u);
  for (const auto& route : routes) {
    EXPECT_TRUE(route.access == api::kPublicAccess || rank(route.access) >= 0)
        << route.method << " " << route.pattern << " was added without an access rule (\"" << route.access
        << "\"): add it with admin(context, store::Role::<least role>, handler) or anyone(handler) (api/handlers.h)";
  }
}

// Refused callers first, with real ids: each is refused before the handler runs, and nothing changes.
TEST_F(RouteRoles, EveryRouteRefusesEveryCallerBelowItsRole) {
  const std::size_t audited = audit_entries();
  std::size_t checked = 0;
  std::set<std::string> routes_checked;
  for (const auto& route : router_.routes()) {
    const int least = rank(route.access);
    if (route.access == api::kPublicAccess) {
      routes_checked.insert(route.method + " " + route.pattern);
      continue;  // the next test
    }
    ASSERT_GE(least, 0) << route.method << " " << route.pattern << " has no access rule";
    for (const auto& caller : callers_) {
      if (caller.role && rank(store::role_name(*caller.role)) >= least) continue;
      const int status = status_of(route.method, target_of(route), headers_for(route, caller));
      EXPECT_EQ(status, caller.role ? 403 : 401) << caller.name << ": " << route.method << " " << route.pattern << " (for "
                                                 << route.access << " and above)";
      ++checked;
    }
    routes_checked.insert(route.method + " " + route.pattern);
  }
  EXPECT_EQ(routes_checked.size(), router_.routes().size());
  EXPECT_GT(checked, 100u);
  // Nothing the refused requests asked for happened: no change was recorded, the bot and its source are there.
  EXPECT_EQ(audit_entries(), audited);
  const auto bot = client_->request("GET", "/api/v1/bots/" + params_["bot_id"], "", auth(key_a_));
  ASSERT_EQ(bot.status, 200);
  EXPECT_EQ(bot.json()["name"], "Support");
  const auto sources = client_->request("GET", "/api/v1/bots/" + params_["bot_id"] + "/sources", "", auth(key_a_));
  EXPECT_EQ(sources.json()["sources"].size(), 1u) << sources.body;
}

// Then the allowed callers: none is refused for who they are. Deletions go last so that the objects stay for the
// other routes.
TEST_F(RouteRoles, EveryRouteAdmitsEveryCallerAtOrAboveItsRole) {
  auto routes = router_.routes();
  std::stable_partition(routes.begin(), routes.end(), [](const auto& route) { return route.method != "DELETE"; });
  std::size_t checked = 0;
  for (const auto& route : routes) {
    if (route.access == api::kPublicAccess) {
      // Public: the same answer whoever asks (credentials change nothing). Sessions are left out: signing out is
      // one of these routes.
      std::map<std::string, int> statuses;
      for (const auto& caller : callers_) {
        if (caller.name.ends_with("session")) continue;
        statuses[caller.name] = status_of(route.method, target_of(route), headers_for(route, caller));
        ++checked;
      }
      for (const auto& [name, status] : statuses) {
        EXPECT_EQ(status, statuses["anonymous"]) << name << ": " << route.method << " " << route.pattern;
      }
      EXPECT_NE(statuses["anonymous"], 401) << route.method << " " << route.pattern;
      continue;
    }
    const int least = rank(route.access);
    ASSERT_GE(least, 0) << route.method << " " << route.pattern << " has no access rule";
    for (const auto& caller : callers_) {
      if (!caller.role || rank(store::role_name(*caller.role)) < least) continue;
      const int status = status_of(route.method, target_of(route), headers_for(route, caller));
      EXPECT_NE(status, 401) << caller.name << ": " << route.method << " " << route.pattern;
      EXPECT_NE(status, 403) << caller.name << ": " << route.method << " " << route.pattern;
      ++checked;
    }
  }
  EXPECT_GT(checked, 200u);
}

// The role matrix in docs/SECURITY.md is the router's table: every route, with its rule, and nothing else.
TEST_F(RouteRoles, TheDocumentedMatrixIsTheRoutersTable) {
  std::ifstream file(std::string(PARLEY_SOURCE_DIR) + "/docs/SECURITY.md");
  ASSERT_TRUE(file.good());
  const std::regex row(R"(^\| `([A-Z]+) ([^`]+)` \| (public|viewer|agent|admin|owner) \|)");
  std::set<std::string> documented;
  for (std::string line; std::getline(file, line);) {
    std::smatch match;
    if (std::regex_search(line, match, row)) documented.insert(match[1].str() + " " + match[2].str() + " " + match[3].str());
  }
  std::set<std::string> actual;
  std::ostringstream table;
  for (const auto& route : router_.routes()) {
    actual.insert(route.method + " " + route.pattern + " " + route.access);
    table << "| `" << route.method << " " << route.pattern << "` | " << route.access << " |\n";
  }
  EXPECT_EQ(documented, actual) << "docs/SECURITY.md, \"Roles\", should list exactly:\n" << table.str();
}

// The review's examples, spelt out: a viewer or an agent cannot create or delete bots, upload sources or switch the
// injection policy off; an admin can.
TEST_F(RouteRoles, ViewersAndAgentsCannotChangeBotsSourcesOrSettings) {
  const std::string bot = params_["bot_id"];
  for (const auto role : {store::Role::viewer, store::Role::agent}) {
    const std::string& key = keys_[role];
    const auto created = client_->request("POST", "/api/v1/bots", nlohmann::json{{"name", "Mine"}}.dump(), auth(key, true));
    EXPECT_EQ(created.status, 403) << created.body;
    EXPECT_THAT(created.body, HasSubstr("needs the admin role"));
    EXPECT_EQ(patch_settings(key, bot, {{"injection_policy", "off"}}).status, 403);
    auto headers = auth(key);
    headers["Content-Type"] = "text/markdown";
    EXPECT_EQ(client_->request("POST", "/api/v1/bots/" + bot + "/sources?name=x.md", "# X\n\nText.\n", headers).status, 403);
    EXPECT_EQ(client_->request("DELETE", "/api/v1/bots/" + bot + "/sources/" + params_["source_id"], "", auth(key)).status, 403);
    EXPECT_EQ(client_->request("DELETE", "/api/v1/bots/" + bot, "", auth(key)).status, 403);
    // Reading is allowed.
    EXPECT_EQ(client_->request("GET", "/api/v1/bots/" + bot, "", auth(key)).status, 200);
  }
  const auto settings = client_->request("GET", "/api/v1/bots/" + bot, "", auth(key_a_)).json()["settings"];
  EXPECT_NE(settings.value("injection_policy", "flag"), "off");
  EXPECT_EQ(patch_settings(keys_[store::Role::admin], bot, {{"injection_policy", "off"}}).status, 200);
  EXPECT_EQ(client_->request("DELETE", "/api/v1/bots/" + bot, "", auth(keys_[store::Role::admin])).status, 204);
}

}  // namespace
}  // namespace parley::security_test
