// The fixture of the web API tests: a real server on a real socket over a real SQLite file, with workspace A's owner
// (an API key and a signed-in account) and a bot "Shop" that knows a shipping guide and an FAQ.
#pragma once

#include <gtest/gtest.h>

#include "api/api.h"
#include "auth/api_keys.h"
#include "auth/passwords.h"
#include "http/server.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

namespace parley::api {

using parley::testing::HttpClient;
using parley::testing::HttpResult;
using Json = nlohmann::json;
using Headers = std::map<std::string, std::string>;

constexpr const char* kGuide =
    "# Shipping guide\n\n## Costs\n\nShipping is free on orders over $75. Otherwise standard shipping costs $7.95.\n";
constexpr const char* kFaq = "question,answer\nHow do I reset my password?,\"Click 'Forgot password' on the sign-in page.\"\n";
constexpr const char* kPassword = "a long enough password";

class WebApiFixture : public ::testing::Test {
 protected:
  // What the server runs with; a test fixture may change it.
  virtual ApiOptions api_options() { return ApiOptions{}; }

  void SetUp() override {
    store_ = std::move(store::open_store({dir_.file("parley.db")})).value();
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto a, tx.create_workspace("A"));
      PARLEY_ASSIGN_OR_RETURN(auto issued, auth::issue_api_key(tx, a.id, "a", store::Role::owner));
      key_ = issued.key;
      store::User owner;
      owner.workspace_id = a.id;
      owner.email = "owner@example.com";
      owner.role = store::Role::owner;
      PARLEY_ASSIGN_OR_RETURN(owner.password_hash, auth::hash_password(kPassword));
      PARLEY_TRY(tx.create_user(owner));
      return {};
    }).ok());
    context_ = std::make_unique<ApiContext>(*store_, api_options());
    register_routes(router_, *context_);
    http::ServerOptions options;
    options.port = 0;
    server_ = std::make_unique<http::Server>(options, router_);
    ASSERT_TRUE(server_->listen().ok());
    server_->start();
    client_ = std::make_unique<HttpClient>(server_->port());
    self_ = "127.0.0.1:" + std::to_string(server_->port());
    bot_ = create_bot({{"allowed_domains", {"shop.example.com", "*.northwind.test", "http://localhost:5500"}}});
    upload("shipping.md", kGuide);
    upload("faq.csv", kFaq);
  }
  void TearDown() override { server_->stop(); }

  Headers admin_headers() { return {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}}; }

  std::string create_bot(const Json& settings) {
    const auto created = client_->request("POST", "/api/v1/bots", Json{{"name", "Shop"}, {"settings", settings}}.dump(), admin_headers());
    EXPECT_EQ(created.status, 201) << created.body;
    return created.json().value("id", "");
  }

  void upload(const std::string& name, const std::string& content) {
    auto headers = admin_headers();
    headers["Content-Type"] = "text/plain";
    const auto uploaded = client_->request("POST", "/api/v1/bots/" + bot_ + "/sources?name=" + name, content, headers);
    ASSERT_EQ(uploaded.status, 201) << uploaded.body;
  }

  HttpResult chat(const Json& body, const std::string& origin = "", const std::string& bot = "") {
    Headers headers = {{"Content-Type", "application/json"}};
    if (!origin.empty()) headers["Origin"] = origin;
    return client_->request("POST", "/api/v1/bots/" + (bot.empty() ? bot_ : bot) + "/chat", body.dump(), headers);
  }

  std::string sign_in() {
    const auto login = client_->request("POST", "/api/v1/auth/login", Json{{"email", "owner@example.com"}, {"password", kPassword}}.dump(),
                                        {{"Content-Type", "application/json"}, {"Host", self_}, {"Origin", "http://" + self_}});
    EXPECT_EQ(login.status, 200) << login.body;
    const std::string cookie = login.headers.count("Set-Cookie") ? login.headers.at("Set-Cookie") : "";
    return cookie.substr(0, cookie.find(';'));
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ApiContext> context_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<HttpClient> client_;
  std::string key_, self_, bot_;
};


}  // namespace parley::api
