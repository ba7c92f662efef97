// A real Parley API server on a free port over a real SQLite file, with two workspaces (A and B), an owner API key
// each, and the limits of the test (tight ones in the limits tests).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/api.h"
#include "auth/api_keys.h"
#include "http/server.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

namespace parley::security_test {

using parley::testing::HttpClient;
using parley::testing::HttpResult;

class ServerFixture : public ::testing::Test {
 protected:
  // Generous limits unless a test sets its own before start().
  void start(api::LimitOptions limits = generous()) {
    store_ = std::move(store::open_store({dir_.file("parley.db")})).value();
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto a, tx.create_workspace("A"));
      PARLEY_ASSIGN_OR_RETURN(auto b, tx.create_workspace("B"));
      PARLEY_ASSIGN_OR_RETURN(auto key_a, auth::issue_api_key(tx, a.id, "a", store::Role::owner));
      PARLEY_ASSIGN_OR_RETURN(auto key_b, auth::issue_api_key(tx, b.id, "b", store::Role::owner));
      key_a_ = key_a.key;
      workspace_a_ = a.id;
      key_b_ = key_b.key;
      return {};
    }).ok());
    limits_ = std::move(limits);
    serve();
  }
  // Stops the server and closes the store, then opens both again over the same database file (for what must
  // survive a restart).
  void restart() {
    server_->stop();
    client_.reset();
    server_.reset();
    context_.reset();
    router_ = http::Router();
    store_.reset();
    store_ = std::move(store::open_store({dir_.file("parley.db")})).value();
    serve();
  }
  void serve() {
    api::ApiOptions options = api_options_;
    options.limits = limits_;
    context_ = std::make_unique<api::ApiContext>(*store_, options);
    api::register_routes(router_, *context_);
    http::ServerOptions server_options = server_options_;
    server_options.port = 0;
    server_ = std::make_unique<http::Server>(server_options, router_);
    ASSERT_TRUE(server_->listen().ok());
    server_->start();
    client_ = std::make_unique<HttpClient>(server_->port());
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  static api::LimitOptions generous() {
    api::LimitOptions limits;
    limits.per_ip = {1000, 10000};
    limits.per_key = {1000, 10000};
    limits.per_bot = {1000, 10000};
    limits.per_visitor = {1000, 10000};
    return limits;
  }

  std::map<std::string, std::string> auth(const std::string& key, bool json = false) {
    std::map<std::string, std::string> headers{{"Authorization", "Bearer " + key}};
    if (json) headers["Content-Type"] = "application/json";
    return headers;
  }

  std::string create_bot(const std::string& key, const std::string& name) {
    const auto result = client_->request("POST", "/api/v1/bots", nlohmann::json{{"name", name}}.dump(), auth(key, true));
    EXPECT_EQ(result.status, 201) << result.body;
    return result.json().value("id", "");
  }

  std::string upload(const std::string& key, const std::string& bot, const std::string& name, const std::string& content) {
    auto headers = auth(key);
    headers["Content-Type"] = "text/markdown";
    const auto result = client_->request("POST", "/api/v1/bots/" + bot + "/sources?name=" + name, content, headers);
    EXPECT_EQ(result.status, 201) << result.body;
    const auto json = result.json();
    if (!json.contains("sources") || json["sources"].empty()) return "";
    return json["sources"][0].value("id", "");
  }

  HttpResult chat(const std::string& bot, const nlohmann::json& body, std::map<std::string, std::string> headers = {}) {
    headers["Content-Type"] = "application/json";
    return client_->request("POST", "/api/v1/bots/" + bot + "/chat", body.dump(), headers);
  }

  HttpResult patch_settings(const std::string& key, const std::string& bot, const nlohmann::json& settings) {
    return client_->request("PATCH", "/api/v1/bots/" + bot, nlohmann::json{{"settings", settings}}.dump(), auth(key, true));
  }

  static api::ApiOptions small_uploads() {
    api::ApiOptions options;
    options.max_upload_bytes = 1 << 20;
    return options;
  }

  parley::testing::TempDir dir_;
  api::LimitOptions limits_;
  api::ApiOptions api_options_ = small_uploads();  // a test may change them before start()
  http::ServerOptions server_options_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::ApiContext> context_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<HttpClient> client_;
  std::string key_a_;
  std::string key_b_;
  std::string workspace_a_;
};

}  // namespace parley::security_test
