// Query shapes shared by the SQL backends: the workspace scope condition and building SQL from parts. Backends
// bind ":ws" to the scope's workspace ('' = the system scope) and plain "?" parameters in order.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace parley::store {

// Every query of a scoped table carries this condition; ":ws" is bound to the scope's workspace ('' = system).
// Plain "?" parameters are bound with Statement::bind_positional, which skips the named ones.
inline constexpr std::string_view kInScope = "(:ws = '' OR workspace_id = :ws)";
inline constexpr std::string_view kDeliveryInScope = "(:ws = '' OR d.workspace_id = :ws)";
inline constexpr std::string_view kSourceInScope = "(:ws = '' OR s.workspace_id = :ws)";

inline std::string sql(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto part : parts) out += part;
  return out;
}

// Lower-cases ASCII letters only, as SQLite's lower() does: filters compare text the same way on every backend.
inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace parley::store
