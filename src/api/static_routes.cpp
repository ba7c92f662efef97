// The admin app (GET /admin, /admin/assets/*) and the widget's scripts (GET /widget.js, /widget-lead-form.js), from
// the files compiled into the binary (src/web). The admin app gets a strict Content-Security-Policy: its own scripts and styles only, no
// inline script, no framing; images also from https: (a bot's logo and avatar) and data: URLs.
#include "api/handlers.h"
#include "web/assets.h"

namespace parley::api {
namespace {

constexpr std::string_view kAdminPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; "
    "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

bool accepts_gzip(const http::Request& request) {
  return request.header("Accept-Encoding").find("gzip") != std::string_view::npos;
}

http::Response asset_response(const http::Request& request, std::string_view path, std::string_view cache_control) {
  const auto asset = web::find_asset(path);
  if (!asset) return http::error_response(ErrorCode::not_found, "no such file");
  http::Response response;
  if (!asset->gzip.empty() && accepts_gzip(request)) {
    response.body = std::string(asset->gzip);
    response.headers["Content-Encoding"] = "gzip";
  } else {
    response.body = std::string(asset->bytes);
  }
  if (!asset->gzip.empty()) response.headers["Vary"] = "Accept-Encoding";
  response.headers["Content-Type"] = std::string(asset->content_type);
  response.headers["Cache-Control"] = std::string(cache_control);
  response.headers["X-Content-Type-Options"] = "nosniff";
  return response;
}

http::Response admin_page(http::Request& request) {
  http::Response response = asset_response(request, "admin/index.html", "no-cache");
  response.headers["Content-Security-Policy"] = std::string(kAdminPolicy);
  response.headers["Referrer-Policy"] = "same-origin";
  response.headers["X-Frame-Options"] = "DENY";
  return response;
}

}  // namespace

void register_static_routes(http::Router& router, ApiContext&) {
  // The app routes inside the page (#/bots/...), so these two serve every screen.
  router.add("GET", "/admin", anyone(admin_page));
  router.add("GET", "/admin/index.html", anyone(admin_page));
  router.add("GET", "/admin/assets/{file}", anyone([](http::Request& request) {
    // Built file names carry a content hash: a new build gets new names, so these never change.
    return asset_response(request, "admin/assets/" + request.params["file"], "public, max-age=31536000, immutable");
  }));
  // The widget, and its lead form: a script of its own that the widget loads only when the form is to be shown.
  for (const char* script : {"widget.js", "widget-lead-form.js"}) {
    router.add("GET", std::string("/") + script, anyone([script](http::Request& request) {
      http::Response response = asset_response(request, script, "public, max-age=300");
      // Any site may load the script (it is public); what it may do is decided per bot by the API.
      response.headers["Cross-Origin-Resource-Policy"] = "cross-origin";
      return response;
    }));
  }
}

}  // namespace parley::api
