#include "web/assets.h"

#include <string>

namespace parley::web {
namespace {

std::string_view content_type_of(std::string_view path) {
  const auto ends = [&](std::string_view suffix) { return path.ends_with(suffix); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".json")) return "application/json";
  return "application/octet-stream";
}

std::optional<std::string_view> file_bytes(std::string_view name) {
  for (const auto& file : embedded_files()) {
    if (file.name == name) return file.bytes;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Asset> find_asset(std::string_view path) {
  if (path.ends_with(".gz")) return std::nullopt;  // twins are served through their original's name
  const auto bytes = file_bytes(path);
  if (!bytes) return std::nullopt;
  return Asset{*bytes, file_bytes(std::string(path) + ".gz").value_or(std::string_view()), content_type_of(path)};
}

}  // namespace parley::web
