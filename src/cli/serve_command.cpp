// parley serve [--host H] [--port P]: runs the HTTP server until SIGINT/SIGTERM, with the background job runner
// (crawls, resyncs, embeddings), the resync scheduler and, with an embedding model, the embedding scheduler. Jobs
// left unfinished by the previous run resume.
#include <algorithm>
#include <iostream>

#include <spdlog/spdlog.h>

#include "api/api.h"
#include "cli/commands.h"
#include "cli/providers.h"
#include "crawl/crawler.h"
#include "http/server.h"
#include "ingest/upload_jobs.h"
#include "jobs/job_runner.h"
#include "jobs/scheduler.h"
#include "leads/handoff.h"
#include "notify/dispatcher.h"
#include "semantic/embedding_job.h"

namespace parley::cli {

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
    PARLEY_ASSIGN_OR_RETURN(const Config config, load_config(globals.data_dir));
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    PARLEY_ASSIGN_OR_RETURN(const Providers providers, build_providers(config));
    // Two runner threads: a long crawl never holds up an upload or another site's sync; a third for the embedding
    // job (one at a time) when hybrid retrieval is on.
    jobs::RunnerOptions runner_options;
    runner_options.threads = providers.embedder ? 3 : 2;
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
    notify::Dispatcher dispatcher(*store, dispatch);
    api::ApiOptions api_options;
    api_options.providers = providers.registry;
    if (providers.embedder) api_options.embedder = providers.embedder->engine();
    api_options.semantic = semantic_index;
    api_options.embedding = providers.embedding;
    api_options.on_notification_queued = [&dispatcher] { dispatcher.wake(); };
    api_options.max_upload_bytes = static_cast<std::size_t>(config.max_upload_mb) << 20;
    api_options.demo_bot_id = config.demo_bot_id;
    api_options.on_job_queued = [&runner] { runner.wake(); };
    api_options.allow_private_addresses = config.allow_private_addresses;
    api_options.email_configured = !config.smtp_url.empty() && !config.smtp_from.empty();
    PARLEY_ASSIGN_OR_RETURN(api_options.limits.trusted_proxies, limits::TrustedProxies::parse(config.trusted_proxies));
    // A rate of 0 means no limit; a burst below 1 would refuse everything.
    const auto rate = [](double per_second, double burst) { return limits::Rate{per_second, std::max(1.0, burst)}; };
    api_options.limits.per_ip = rate(config.per_ip_rate, config.per_ip_burst);
    api_options.limits.per_key = rate(config.per_key_rate, config.per_key_burst);
    api_options.limits.per_bot = rate(config.per_bot_rate, config.per_bot_burst);
    api_options.limits.per_visitor = rate(config.per_visitor_rate, config.per_visitor_burst);
    api_options.limits.max_streams = static_cast<std::size_t>(std::max(0, config.max_streams));
    api_options.limits.max_streams_per_bot = static_cast<std::size_t>(std::max(0, config.max_streams_per_bot));
    api_options.limits.daily_messages_per_bot = config.daily_messages_per_bot;
    api_options.limits.max_bots_per_workspace = config.max_bots_per_workspace;
    api_options.limits.max_conversation_messages = static_cast<std::size_t>(std::max(2, config.max_conversation_messages));
    api_options.limits.visitor_token_lifetime = std::chrono::seconds(std::max<std::int64_t>(1, config.visitor_token_seconds));
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
    std::cout << "  Health:     " << base << "/healthz\n" << std::flush;
    server.start();
    runner.start();
    scheduler.start();
    if (embedding_scheduler) embedding_scheduler->start();
    dispatcher.start();
    sweeper.start();
    server.run_until_signal();
    sweeper.stop();
    dispatcher.stop();
    // Running jobs go back to the queue, their progress stored: the next start resumes them.
    scheduler.stop();
    if (embedding_scheduler) embedding_scheduler->stop();
    runner.stop();
    spdlog::info("stopped");
    return {};
  }));
}

}  // namespace parley::cli
