#include "store/types.h"

namespace parley::store {

std::string_view role_name(Role role) {
  switch (role) {
    case Role::owner: return "owner";
    case Role::admin: return "admin";
    case Role::agent: return "agent";
    case Role::viewer: return "viewer";
  }
  return "viewer";
}

std::optional<Role> parse_role(std::string_view name) {
  for (Role role : {Role::owner, Role::admin, Role::agent, Role::viewer}) {
    if (role_name(role) == name) return role;
  }
  return std::nullopt;
}

std::string_view source_kind_name(SourceKind kind) {
  switch (kind) {
    case SourceKind::file: return "file";
    case SourceKind::url: return "url";
    case SourceKind::crawl: return "crawl";
    case SourceKind::curated: return "curated";
  }
  return "file";
}

std::optional<SourceKind> parse_source_kind(std::string_view name) {
  for (SourceKind kind : {SourceKind::file, SourceKind::url, SourceKind::crawl, SourceKind::curated}) {
    if (source_kind_name(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string_view job_state_name(JobState state) {
  switch (state) {
    case JobState::queued: return "queued";
    case JobState::running: return "running";
    case JobState::paused: return "paused";
    case JobState::cancelled: return "cancelled";
    case JobState::succeeded: return "succeeded";
    case JobState::failed: return "failed";
  }
  return "failed";
}

std::optional<JobState> parse_job_state(std::string_view name) {
  for (JobState state : {JobState::queued, JobState::running, JobState::paused, JobState::cancelled,
                         JobState::succeeded, JobState::failed}) {
    if (job_state_name(state) == name) return state;
  }
  return std::nullopt;
}

}  // namespace parley::store
