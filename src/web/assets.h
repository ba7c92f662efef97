// The web app and the widget, built from web/ by Vite and compiled into the binary, so that `parley serve` serves
// them with no install step and no CDN.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace parley::web {

struct EmbeddedFile {
  std::string_view name;  // path under the build output: "widget.js", "admin/index.html", "admin/assets/app-1a2b.js"
  std::string_view bytes;
};

// Every built file, with the gzip twins the build made ("widget.js.gz").
std::span<const EmbeddedFile> embedded_files();

struct Asset {
  std::string_view bytes;
  std::string_view gzip;  // the same bytes gzip-compressed; empty when the build made none
  std::string_view content_type;
};

// The built file at `path`, if there is one.
std::optional<Asset> find_asset(std::string_view path);

}  // namespace parley::web
