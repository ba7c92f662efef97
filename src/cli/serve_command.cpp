// parley serve [--host H] [--port P]: runs the HTTP server until SIGINT/SIGTERM, with the background job runner
// (crawls, resyncs, embeddings, retention), the resync and retention schedulers, with an embedding model the
// embedding scheduler, and the webhook/email dispatcher. Jobs left unfinished by the previous run resume. SIGTERM drains: no new connections,
// requests and answer streams in flight get [server] drain_ms to finish, the dispatcher finishes the webhook requests
// it has in flight and gives the rest of its leases back, running jobs go back to the queue with their progress, and
// the process exits 0. SIGHUP reloads parley.toml's providers and limits without dropping a connection
// (docs/OPERATIONS.md).
#include <algorithm>
#include <iostream>

#include <spdlog/spdlog.h>

#include "api/api.h"
#include "cli/commands.h"
#include "cli/providers.h"
#include "crawl/crawler.h"
#include "governance/retention.h"
#include "http/server.h"
#include "ingest/upload_jobs.h"
#include "jobs/job_runner.h"
#include "jobs/scheduler.h"
#include "leads/handoff.h"
#include "notify/dispatcher.h"
#include "semantic/embedding_job.h"
#include "store/maintenance.h"

namespace parley::cli {
namespace {

Result<api::LimitOptions> limit_options(const Config& config) {
  api::LimitOptions limits;
  PARLEY_ASSIGN_OR_RETURN(limits.trusted_proxies, limits::TrustedProxies::parse(config.trusted_proxies));
  // A rate of 0 means no limit; a burst below 1 would refuse everything.
  const auto rate = [](double per_second, double burst) { return limits::Rate{per_second, std::max(1.0, burst)}; };
  limits.per_ip = rate(config.per_ip_rate, config.per_ip_burst);
  limits.per_key = rate(config.per_key_rate, config.per_key_burst);
  limits.per_bot = rate(config.per_bot_rate, config.per_bot_burst);
  limits.per_visitor = rate(config.per_visitor_rate, config.per_visitor_burst);
  limits.max_streams = static_cast<std::size_t>(std::max(0, config.max_streams));
  limits.max_streams_per_bot = static_cast<std::size_t>(std::max(0, config.max_streams_per_bot));
  limits.daily_messages_per_bot = config.daily_messages_per_bot;
  limits.max_bots_per_workspace = config.max_bots_per_workspace;
  limits.max_conversation_messages = static_cast<std::size_t>(std::max(2, config.max_conversation_messages));
  limits.visitor_token_lifetime = std::chrono::seconds(std::max<std::int64_t>(1, config.visitor_token_seconds));
  return limits;
}

// What a reload cannot change without a restart, named so that the operator is not left guessing.
std::vector<std::string> restart_only_changes(const Config& running, const Config& fresh) {
  std::vector<std::string> changed;
  if (running.host != fresh.host || running.port != fresh.port) changed.push_back("server.host/port");
  if (running.io_threads != fresh.io_threads || running.worker_threads != fresh.worker_threads) changed.push_back("server threads");
  if (running.smtp_url != fresh.smtp_url || running.smtp_from != fresh.smtp_from ||
      running.smtp_username != fresh.smtp_username || running.smtp_password != fresh.smtp_password ||
      running.smtp_starttls != fresh.smtp_starttls) {
    changed.push_back("[smtp]");
  }
  if (running.allow_private_addresses != fresh.allow_private_addresses) changed.push_back("network.allow_private_addresses");
  if (running.max_upload_mb != fresh.max_upload_mb) changed.push_back("limits.max_upload_mb");
  if (running.metrics_token != fresh.metrics_token) changed.push_back("metrics.token");
  if (running.demo_bot_id != fresh.demo_bot_id) changed.push_back("demo.bot_id");
  // The chunk vectors in memory were made by the embedding model of the start.
  if (running.engine.embedding_model != fresh.engine.embedding_model ||
      running.engine.embedding_model_sha256 != fresh.engine.embedding_model_sha256) {
    changed.push_back("engine.embedding_model");
  }
  if (running.store_url != fresh.store_url || running.store_pool_size != fresh.store_pool_size ||
      running.store_index_dir != fresh.store_index_dir) {
    changed.push_back("[store]");
  }
  return changed;
}

// A damaged database is not served from: answers read from broken pages could be wrong without anyone noticing.
Status refuse_damaged_store(const std::filesystem::path& data_dir) {
  const auto db = database_path(data_dir);
  if (!std::filesystem::exists(db)) return {};  // open_data_store says what to do
  PARLEY_ASSIGN_OR_RETURN(const auto report, store::check_database(db.string()));
  if (report.ok) return {};
  return make_error(ErrorCode::unavailable,
                    db.string() + " fails its integrity check (" + (report.problems.empty() ? "" : report.problems.front()) +
                        "); the server does not serve from a damaged database. Run `parley doctor` for the details, "
                        "then restore a backup (parley backup restore FILE --data " + data_dir.string() + " --force)");
}

}  // namespace

void add_serve_command(CLI::App& app, Globals& globals) {
  auto* command = app.add_subcommand("serve", "Run the HTTP server (API, chat endpoint, demo page)");
  struct Options {
    std::optional<std::string> host;
    std::optional<int> port;
  };
  auto options = std::make_shared<Options>();
  command->add_option("--host", options->host, "Address to listen on (default from parley.toml, else 127.0.0.1)");
  command->add_option("--port", options->port, "Port to listen on; 0 picks a free one")->check(CLI::Range(0, 65535));
  command->callback(command_action(globals, [&globals, options]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(Config config, load_config(globals.data_dir));
    // SQLite only: a PostgreSQL server checks its own pages.
    if (config.check_store_on_start && store_options(globals.data_dir, config).url.empty()) {
      PARLEY_TRY(refuse_damaged_store(globals.data_dir));
    }
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    PARLEY_ASSIGN_OR_RETURN(Providers providers, build_providers(config));
    // Two runner threads: a long crawl never holds up an upload or another site's sync; a third for the embedding
    // job (one at a time) when hybrid retrieval is on.
    jobs::RunnerOptions runner_options;
    runner_options.threads = providers.embedder ? 3 : 2;
    runner_options.lease = std::chrono::milliseconds(config.job_lease_ms);
    jobs::JobRunner runner(*store, runner_options);
    crawl::CrawlerOptions crawler;
    crawler.allow_private_addresses = config.allow_private_addresses;
    crawl::register_crawl_jobs(runner, crawler);
    // Uploads are read at background CPU priority and within a CPU budget per file, whether they come through the
    // upload pool (api) or as a background job: chat goes first.
    const auto upload_cpu_budget = std::chrono::milliseconds(static_cast<std::int64_t>(std::max(0.0, config.upload_cpu_seconds) * 1000));
    ingest::IngestOptions job_ingest;
    job_ingest.background_parsing = true;
    job_ingest.cpu_budget_per_file = upload_cpu_budget;
    ingest::register_ingest_jobs(runner, job_ingest);
    jobs::SchedulerOptions schedule;
    schedule.job_kind = std::string(crawl::kCrawlJobKind);
    schedule.schedule_seconds = crawl::source_schedule_seconds;
    schedule.on_queued = [&runner] { runner.wake(); };
    jobs::Scheduler scheduler(*store, schedule);
    // Retention (issue 17): a job per bot of each workspace that has one, once a day, deleting in short batches.
    governance::register_retention_jobs(runner);
    governance::RetentionScheduler retention(*store, [&runner] { runner.wake(); });
    // Hybrid retrieval: chunk vectors in memory for the retriever, the embedding job, and the thread that queues it
    // when chunks lack vectors by the model.
    std::shared_ptr<semantic::SemanticIndex> semantic_index;
    std::unique_ptr<semantic::EmbeddingScheduler> embedding_scheduler;
    if (providers.embedder) {
      semantic_index = std::make_shared<semantic::SemanticIndex>(*store, providers.embedder);
      semantic::register_embedding_jobs(runner, semantic_index);
      embedding_scheduler = std::make_unique<semantic::EmbeddingScheduler>(*store, providers.embedder->model(),
                                                                           [&runner] { runner.wake(); });
    }
    // Webhooks and emails (notify/dispatcher.h): deliveries left by the previous run are sent (at least once).
    notify::DispatcherOptions dispatch;
    dispatch.smtp.url = config.smtp_url;
    dispatch.smtp.from = config.smtp_from;
    dispatch.smtp.username = config.smtp_username;
    dispatch.smtp.password = config.smtp_password;
    dispatch.smtp.starttls = config.smtp_starttls;
    dispatch.allow_private_addresses = config.allow_private_addresses;
    dispatch.lease = std::chrono::milliseconds(config.delivery_lease_ms);
    notify::Dispatcher dispatcher(*store, dispatch);
    api::ApiOptions api_options;
    api_options.providers = providers.registry;
    if (providers.embedder) api_options.embedder = providers.embedder->engine();
    api_options.semantic = semantic_index;
    api_options.embedding = providers.embedding;
    api_options.on_notification_queued = [&dispatcher] { dispatcher.wake(); };
    api_options.max_upload_bytes = static_cast<std::size_t>(config.max_upload_mb) << 20;
    api_options.demo_bot_id = config.demo_bot_id;
    api_options.metrics_token = config.metrics_token;
    api_options.on_job_queued = [&runner] { runner.wake(); };
    api_options.allow_private_addresses = config.allow_private_addresses;
    api_options.email_configured = !config.smtp_url.empty() && !config.smtp_from.empty();
    PARLEY_ASSIGN_OR_RETURN(api_options.limits, limit_options(config));
    api_options.upload_cpu_budget = upload_cpu_budget;
    api_options.uploads.threads = std::max(1, config.upload_threads);
    api::ApiContext context(*store, api_options);
    http::Router router;
    api::register_routes(router, context);
    leads::HandoffSweeper sweeper(context.handoff(), context.live());

    http::ServerOptions server_options;
    server_options.host = options->host.value_or(config.host);
    server_options.port = static_cast<unsigned short>(options->port.value_or(config.port));
    server_options.io_threads = config.io_threads;
    server_options.worker_threads = config.worker_threads;
    server_options.drain_timeout = std::chrono::milliseconds(config.drain_ms);
    server_options.admission.target = std::chrono::milliseconds(config.shed_queue_ms);
    server_options.max_connections_per_address = static_cast<std::size_t>(std::max(0, config.max_connections_per_address));
    server_options.uncapped_peer = [proxies = api_options.limits.trusted_proxies](const boost::asio::ip::address& peer) {
      return proxies.contains(peer);
    };
    http::Server server(server_options, router);
    PARLEY_TRY(server.listen());
    const std::string base = "http://" + server_options.host + ":" + std::to_string(server.port());
    std::cout << "Parley is listening on " << base << "\n"
              << "  Admin app:  " << base << "/admin  (sign in with the email and password printed by `parley init`)\n"
              << "  Admin API:  " << base << "/api/v1  (Authorization: Bearer <the key printed by `parley init`>)\n";
    if (!config.demo_bot_id.empty()) std::cout << "  Demo page:  " << base << "/demo\n";
    std::cout << "  Health:     " << base << "/healthz\n"
              << "  Metrics:    " << base << "/metrics\n" << std::flush;
    server.start();
    runner.start();
    scheduler.start();
    retention.start();
    if (embedding_scheduler) embedding_scheduler->start();
    dispatcher.start();
    sweeper.start();

    // SIGHUP: providers (and their routing names), limits. A parley.toml that does not load leaves everything as it
    // was; requests in flight finish with the providers they started with.
    const auto reload = [&] {
      auto fresh = load_config(globals.data_dir);
      if (!fresh.ok()) {
        spdlog::error("reload: {}; the running configuration stays", fresh.error().message);
        return;
      }
      auto limits = limit_options(*fresh);
      if (!limits.ok()) {
        spdlog::error("reload: {}; the running configuration stays", limits.error().message);
        return;
      }
      auto reloaded = build_providers(*fresh, &providers);
      if (!reloaded.ok()) {
        spdlog::error("reload: {}; the running configuration stays", reloaded.error().message);
        return;
      }
      providers = std::move(*reloaded);
      context.set_providers(providers.registry);
      context.protection().reconfigure(std::move(*limits));
      for (const auto& name : restart_only_changes(config, *fresh)) {
        spdlog::warn("reload: {} changed; it takes effect at the next restart", name);
      }
      std::string names;
      for (const auto& info : providers.registry->list()) names += (names.empty() ? "" : ", ") + info.name;
      spdlog::info("reload: parley.toml applied (providers: {})", names.empty() ? "none" : names);
      std::cout << "reloaded " << config_path(globals.data_dir).string() << " (providers: "
                << (names.empty() ? "none" : names) << ")\n" << std::flush;
    };
    server.run_until_signal(reload);
    const auto stopping = std::chrono::steady_clock::now();
    sweeper.stop();
    dispatcher.stop();
    // Running jobs go back to the queue, their progress stored: the next start resumes them.
    scheduler.stop();
    retention.stop();
    if (embedding_scheduler) embedding_scheduler->stop();
    runner.stop();
    spdlog::info("stopped in {} ms after the drain",
                 std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stopping).count());
    std::cout << "stopped\n" << std::flush;
    return {};
  }));
}

}  // namespace parley::cli
