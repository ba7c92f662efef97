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
  }
  return "file";
}

std::optional<SourceKind> parse_source_kind(std::string_view name) {
  for (SourceKind kind : {SourceKind::file, SourceKind::url, SourceKind::crawl}) {
    if (source_kind_name(kind) == name) return kind;
  }
  return std::nullopt;
}

}  // namespace parley::store
