// Parley's REST API: every route, bound to the services it calls. The HTTP transport (src/http) knows nothing of
// bots or keys; this module knows nothing of sockets.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include <functional>

#include "api/protection.h"
#include "api/views.h"
#include "auth/visitor_tokens.h"
#include "chat/chat_service.h"
#include "engine/engine.h"
#include "llm/registry.h"
#include "http/router.h"
#include "ingest/ingest.h"
#include "ingest/upload_pool.h"
#include "jobs/job_events.h"
#include "leads/handoff.h"
#include "leads/lead_service.h"
#include "search/retriever.h"
#include "semantic/semantic_index.h"
#include "semantic/status.h"
#include "store/store.h"

namespace parley::api {

struct ApiOptions {
  std::size_t max_upload_bytes = 64u << 20;
  std::size_t max_chat_body_bytes = 64u << 10;
  std::string demo_bot_id;  // serves /demo when set
  std::function<void()> on_job_queued;  // tells the job runner (when this process has one) to look now
  LimitOptions limits;                   // rate limits, quotas and caps (api/protection.h)
  // Tells the notification dispatcher (when this process has one) that webhook or email deliveries were queued.
  std::function<void()> on_notification_queued;
  int max_lead_submissions = 5;  // per visitor address and bot within 10 minutes
  // Model providers for generative answers and /v1/chat/completions at start (ApiContext::providers() has the
  // current ones); none: extractive answers only.
  std::shared_ptr<const llm::ProviderRegistry> providers;
  std::shared_ptr<engine::Engine> embedder;  // POST /v1/embeddings, when an embedding model is loaded
  std::string metrics_token;  // [metrics] token: a bearer token that may read GET /metrics from anywhere
  // Hybrid retrieval ([engine] embedding_model): the chunk vectors in memory (the retriever's semantic ranker), and
  // what became of the model, for /readyz, the report and the admin app.
  std::shared_ptr<const semantic::SemanticIndex> semantic;
  semantic::ModelStatus embedding;
  // parley.toml [network] allow_private_addresses: whether webhooks and installation checks may reach private
  // networks (crawl::FetchOptions).
  bool allow_private_addresses = false;
  bool email_configured = false;  // [smtp] is set: invitations and reset links are emailed, not only shown
  // Uploads are ingested on their own pool, at background CPU priority (ingest/upload_pool.h).
  ingest::UploadPoolOptions uploads;
  std::chrono::milliseconds upload_cpu_budget{20'000};  // per uploaded file
};

// The long-lived services the handlers share (thread-safe).
class ApiContext {
 public:
  ApiContext(store::Store& store, ApiOptions options)
      : store_(store),
        retriever_(options.semantic),
        chat_(store, retriever_, options.providers),
        options_(std::move(options)),
        job_events_(store, job_view),
        protection_(store, options_.limits),
        leads_(store, leads::LeadServiceOptions{options_.max_lead_submissions, std::chrono::seconds(600),
                                                 options_.on_notification_queued}),
        handoff_(store, live_, leads::HandoffOptions{options_.on_notification_queued}),
        upload_pool_(options_.uploads) {
    // Replicas on one PostgreSQL database: an agent's inbox on one and a visitor's widget on another see each other.
    live_.share_through(store_);
  }

  store::Store& store() { return store_; }
  const chat::ChatService& chat() const { return chat_; }
  // The model providers now (none: extractive answers only); replaced by a configuration reload.
  std::shared_ptr<const llm::ProviderRegistry> providers() const { return chat_.providers(); }
  void set_providers(std::shared_ptr<const llm::ProviderRegistry> providers) { chat_.set_providers(std::move(providers)); }
  const ApiOptions& options() const { return options_; }
  jobs::JobEvents& job_events() { return job_events_; }
  Protection& protection() { return protection_; }
  leads::LeadService& leads() { return leads_; }
  leads::LiveHub& live() { return live_; }
  leads::HandoffService& handoff() { return handoff_; }
  ingest::UploadPool& upload_pool() { return upload_pool_; }
  void notification_queued() const {
    if (options_.on_notification_queued) options_.on_notification_queued();
  }
  void job_queued() const {
    if (options_.on_job_queued) options_.on_job_queued();
  }
  // The signer of widget visitors' conversation tokens, loaded from the store on first use.
  Result<std::shared_ptr<const auth::VisitorTokens>> visitor_tokens();

 private:
  store::Store& store_;
  search::Retriever retriever_;
  chat::ChatService chat_;
  ApiOptions options_;
  jobs::JobEvents job_events_;
  Protection protection_;
  leads::LeadService leads_;
  leads::LiveHub live_;
  leads::HandoffService handoff_;
  std::mutex visitor_tokens_mutex_;
  std::shared_ptr<const auth::VisitorTokens> visitor_tokens_;
  // Last: destroyed first, while what its tasks use is still there.
  ingest::UploadPool upload_pool_;
};

void register_routes(http::Router& router, ApiContext& context);

}  // namespace parley::api
