#include "http/router.h"

#include <gtest/gtest.h>

namespace parley::http {
namespace {

Response echo(Request& request) { return json_response(200, {{"params", request.params}}); }

Request request_for(std::string method, std::string path) {
  Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  return request;
}

TEST(Router, MatchesPatternsAndCapturesParameters) {
  Router router;
  router.add("GET", "/api/v1/bots/{bot_id}/sources/{source_id}", echo);
  Request request;
  request.method = "GET";
  request.path = "/api/v1/bots/bot_1/sources/src_2";
  const Response response = router.dispatch(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(request.params["bot_id"], "bot_1");
  EXPECT_EQ(request.params["source_id"], "src_2");
}

TEST(Router, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  Router router;
  router.add("GET", "/a/{x}", echo);
  router.add("DELETE", "/a/{x}", echo);
  Request missing = request_for("GET", "/b");
  EXPECT_EQ(router.dispatch(missing).status, 404);
  Request wrong = request_for("POST", "/a/1");
  const Response response = router.dispatch(wrong);
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.at("Allow"), "GET, DELETE");
  Request head = request_for("HEAD", "/a/1");
  EXPECT_EQ(router.dispatch(head).status, 200);
}

TEST(Router, BodyLimitsPerRoute) {
  Router router;
  router.add("POST", "/upload/{id}", echo);
  router.set_body_limit("POST", "/upload/{id}", 1000);
  EXPECT_EQ(router.body_limit("POST", "/upload/7"), 1000u);
  EXPECT_EQ(router.body_limit("POST", "/other"), kDefaultBodyLimit);
}

}  // namespace
}  // namespace parley::http
