// Sources of a bot: upload files (multipart form, raw body, or JSON text) — ingested now, on the upload pool
// (ingest/upload_pool.h: the response follows when the files are indexed, and no HTTP worker waits for it), or in
// the background with `?async=1` / `Prefer: respond-async` (202 and a job) — list, list documents, delete.
#include "api/handlers.h"
#include "audit/audit.h"
#include "http/multipart.h"
#include "ingest/upload_jobs.h"

namespace parley::api {
namespace {

struct UploadedFile {
  std::string name;
  std::string content_type;
  std::string_view bytes;
};

// An upload request's files, with the bytes they point into: it outlives the handler (the pool ingests it later).
struct PendingUpload {
  std::string body;
  std::string json_text;
  std::vector<UploadedFile> files;
  std::vector<ingest::FileUpload> uploads;
};

// The files of an upload request, whatever way the client sent them; the bytes they point to move into `upload`.
Result<std::vector<UploadedFile>> uploaded_files(http::Request& request, PendingUpload& upload) {
  const std::string_view content_type = request.header("Content-Type");
  std::vector<UploadedFile> files;
  if (content_type.starts_with("application/json") && !request.query.contains("name")) {
    PARLEY_ASSIGN_OR_RETURN(const Json json, http::parse_json_object(request));
    const auto name = json.find("name");
    const auto content = json.find("content");
    if (name == json.end() || !name->is_string() || content == json.end() || !content->is_string()) {
      return make_error(ErrorCode::invalid_request,
                        "send a file as multipart/form-data, as the raw body with ?name=FILE, or as JSON "
                        "{\"name\": ..., \"content\": ...}");
    }
    upload.json_text = content->get<std::string>();
    files.push_back({name->get<std::string>(), json.value("content_type", ""), upload.json_text});
    return files;
  }
  upload.body = std::move(request.body);
  const std::string& body = upload.body;
  if (content_type.starts_with("multipart/")) {
    PARLEY_ASSIGN_OR_RETURN(const std::string boundary, http::multipart_boundary(content_type));
    PARLEY_ASSIGN_OR_RETURN(const auto parts, http::parse_multipart(body, boundary));
    for (const auto& part : parts) {
      if (part.filename.empty()) continue;  // plain form fields
      files.push_back({part.filename, part.content_type == "application/octet-stream" ? "" : part.content_type, part.body});
    }
    if (files.empty()) return make_error(ErrorCode::invalid_request, "the form has no file part");
    return files;
  }
  std::string name;
  if (const auto it = request.query.find("name"); it != request.query.end()) name = it->second;
  if (name.empty()) name = http::header_parameter(request.header("Content-Disposition"), "filename");
  if (name.empty()) name = std::string(request.header("X-File-Name"));
  if (name.empty()) {
    return make_error(ErrorCode::invalid_request, "name the file: ?name=FILE, Content-Disposition or X-File-Name");
  }
  std::string type(content_type);
  if (type.starts_with("application/octet-stream")) type.clear();
  files.push_back({name, type, body});
  return files;
}

// Ingests an upload's files now and answers with what became of each.
http::Response ingest_now(ApiContext& context, const auth::Principal& who, PendingUpload& upload,
                          const ingest::IngestOptions& options) {
  Json added = Json::array();
  Json failed = Json::array();
  std::optional<Error> first_error;
  bool changed = false;
  PARLEY_RESPOND_ON_ERROR(auto outcomes, ingest::add_files(context.store(), scope_of(who), upload.uploads, options));
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    auto& outcome = outcomes[i];
    if (!outcome.ok()) {
      failed.push_back({{"name", upload.files[i].name},
                        {"error", {{"code", std::string(error_code_name(outcome.error().code))}, {"message", outcome.error().message}}}});
      if (!first_error) first_error = outcome.error();
      continue;
    }
    changed = changed || !outcome->unchanged;
    Json view = source_view(outcome->source);
    view["document"] = document_view(outcome->document);
    view["unchanged"] = outcome->unchanged;
    view["warnings"] = outcome->warnings;
    added.push_back(std::move(view));
  }
  if (added.empty() && first_error) return http::error_response(*first_error);
  if (changed) {
    const auto recorded = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      for (const auto& view : added) {
        if (view.value("unchanged", false)) continue;
        PARLEY_TRY(audit::record(tx, who.workspace_id, {actor_of(who), "source.upload", view.value("id", ""), nullptr, view}));
      }
      return {};
    });
    if (!recorded.ok()) return http::error_response(recorded.error());
  }
  return http::json_response(changed ? 201 : 200, {{"sources", added}, {"errors", failed}});
}

}  // namespace

void register_source_routes(http::Router& router, ApiContext& context) {
  router.add("POST", "/api/v1/bots/{bot_id}/sources", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    auto upload = std::make_shared<PendingUpload>();
    PARLEY_RESPOND_ON_ERROR(upload->files, uploaded_files(request, *upload));
    ingest::IngestOptions options;
    options.max_document_bytes = context.options().max_upload_bytes;
    for (const auto& file : upload->files) {
      upload->uploads.push_back({request.params["bot_id"], file.name, file.content_type, file.bytes});
    }
    const bool background = (request.query.contains("async") && request.query["async"] != "0") ||
                            request.header("Prefer").find("respond-async") != std::string_view::npos;
    if (background) {
      for (const auto& file : upload->uploads) {
        if (file.bytes.size() > options.max_document_bytes) {
          return http::error_response(ErrorCode::payload_too_large, file.name + " is larger than " +
                                                                        std::to_string(options.max_document_bytes >> 20) + " MB");
        }
      }
      PARLEY_RESPOND_ON_ERROR(auto job, ingest::queue_uploads(context.store(), scope_of(who), request.params["bot_id"], upload->uploads));
      context.job_queued();
      if (auto recorded = record_audit(context, who, {"", "job.start", job.id, nullptr, job_view(job)}); !recorded.ok()) {
        return http::error_response(recorded.error());
      }
      return http::json_response(202, {{"job", job_view(job)}});
    }
    options.background_parsing = true;
    options.parse_threads = 1;  // the pool's size bounds the parsing threads
    options.cpu_budget_per_file = context.options().upload_cpu_budget;
    auto deferred = std::make_shared<http::DeferredResponse>();
    const bool queued = context.upload_pool().submit([&context, who, upload, options, deferred](bool run) {
      if (!run) {
        return deferred->resolve(http::error_response(ErrorCode::unavailable, "the server is shutting down: upload again"));
      }
      deferred->resolve(ingest_now(context, who, *upload, options));
    });
    if (!queued) {
      http::Response busy = http::error_response(ErrorCode::unavailable,
                                                 "too many uploads are being read right now: try again in a minute, or "
                                                 "upload with ?async=1");
      busy.headers["Retry-After"] = "30";
      return busy;
    }
    http::Response response;
    response.deferred = deferred;
    return response;
  }));

  router.add("GET", "/api/v1/bots/{bot_id}/sources", admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
    Json sources = Json::array();
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto bot, tx.bot(request.params["bot_id"]));
      if (!bot) return make_error(ErrorCode::not_found, "no such bot");
      PARLEY_ASSIGN_OR_RETURN(auto rows, tx.sources(bot->id));
      for (const auto& source : rows) sources.push_back(source_view(source));
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, {{"sources", sources}});
  }));

  router.add("GET", "/api/v1/bots/{bot_id}/sources/{source_id}/documents",
             admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
               Json documents = Json::array();
               const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
                 PARLEY_ASSIGN_OR_RETURN(auto source, tx.source(request.params["bot_id"], request.params["source_id"]));
                 if (!source) return make_error(ErrorCode::not_found, "no such source");
                 PARLEY_ASSIGN_OR_RETURN(auto rows, tx.documents(source->id));
                 for (const auto& document : rows) documents.push_back(document_view(document));
                 return {};
               });
               if (!status.ok()) return http::error_response(status.error());
               return http::json_response(200, {{"documents", documents}});
             }));

  router.add("DELETE", "/api/v1/bots/{bot_id}/sources/{source_id}",
             admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
               const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
                 PARLEY_ASSIGN_OR_RETURN(const auto source, tx.source(request.params["bot_id"], request.params["source_id"]));
                 PARLEY_TRY(tx.delete_source(request.params["bot_id"], request.params["source_id"]));
                 return audit::record(tx, who.workspace_id,
                                      {actor_of(who), "source.delete", request.params["source_id"],
                                       source ? source_view(*source) : Json(nullptr), nullptr});
               });
               if (!status.ok()) return http::error_response(status.error());
               http::Response response;
               response.status = 204;
               return response;
             }));
  router.set_body_limit("POST", "/api/v1/bots/{bot_id}/sources", context.options().max_upload_bytes + (1u << 20));
}

}  // namespace parley::api
