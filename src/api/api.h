// Parley's REST API: every route, bound to the services it calls. The HTTP transport (src/http) knows nothing of
// bots or keys; this module knows nothing of sockets.
#pragma once

#include <string>

#include "chat/chat_service.h"
#include "http/router.h"
#include "ingest/ingest.h"
#include "search/retriever.h"
#include "store/store.h"

namespace parley::api {

struct ApiOptions {
  std::size_t max_upload_bytes = 64u << 20;
  std::size_t max_chat_body_bytes = 64u << 10;
  std::string demo_bot_id;  // serves /demo when set
};

// The long-lived services the handlers share (thread-safe).
class ApiContext {
 public:
  ApiContext(store::Store& store, ApiOptions options)
      : store_(store), chat_(store, retriever_), options_(std::move(options)) {}

  store::Store& store() { return store_; }
  const chat::ChatService& chat() const { return chat_; }
  const ApiOptions& options() const { return options_; }

 private:
  store::Store& store_;
  search::Retriever retriever_;
  chat::ChatService chat_;
  ApiOptions options_;
};

void register_routes(http::Router& router, ApiContext& context);

}  // namespace parley::api
