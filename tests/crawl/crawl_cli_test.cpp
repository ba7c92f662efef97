// `parley source add --crawl`, `source sync/list/syncs/report` and `job ...` as a user runs them: the real binary
// against a site on loopback; and a crawl queued with --detach that `parley serve` picks up.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <chrono>
#include <fstream>

#include <nlohmann/json.hpp>

#include "support/config_file.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/test_site.h"

namespace parley {
namespace {

using parley::testing::html_page;
using parley::testing::TestSite;
using ::testing::HasSubstr;
using Json = nlohmann::json;

class CrawlCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(parley({"init"}).exit_code, 0);
    testing::allow_private_addresses(dir_.file("data"));
    const auto bot = parley({"bot", "create", "--name", "Site"});
    ASSERT_EQ(bot.exit_code, 0) << bot.err;
    bot_ = bot.out.substr(0, bot.out.find('\n'));
    site_.set("/", html_page("Bikes", "<p>Every city bike comes with a free first service after a month of riding.</p>"
                                      "<a href=\"/repairs\">repairs</a>"));
    site_.set("/repairs", html_page("Repairs", "<p>A brake bleed costs $45 and takes about an hour in our workshop.</p>"));
  }
  testing::ProcessResult parley(std::vector<std::string> args) {
    args.insert(args.begin(), {PARLEY_BINARY, "--data", dir_.file("data")});
    return testing::run_process(args);
  }

  testing::TempDir dir_;
  TestSite site_;
  std::string bot_;
};

TEST_F(CrawlCliTest, CrawlResyncListAndReport) {
  const auto added = parley({"source", "add", "--bot", bot_, "--crawl", site_.url("/"), "--max-pages", "20", "--delay-ms", "0"});
  ASSERT_EQ(added.exit_code, 0) << added.err << added.out;
  EXPECT_THAT(added.out, HasSubstr("2 added, 0 updated, 0 unchanged, 0 removed, 0 failed"));
  const std::string source = added.out.substr(added.out.find("(source ") + 8, 24);
  ASSERT_TRUE(source.starts_with("src_")) << added.out;

  const auto list = parley({"source", "list", "--bot", bot_});
  EXPECT_THAT(list.out, HasSubstr(source + "  crawl  ready  2 documents"));

  site_.set("/repairs", html_page("Repairs", "<p>A brake bleed now costs $50 and takes about an hour in our workshop.</p>"));
  const auto synced = parley({"source", "sync", "--bot", bot_, source});
  ASSERT_EQ(synced.exit_code, 0) << synced.err;
  EXPECT_THAT(synced.out, HasSubstr("0 added, 1 updated, 1 unchanged, 0 removed"));

  const auto syncs = parley({"source", "syncs", "--bot", bot_, source, "--json"});
  ASSERT_EQ(syncs.exit_code, 0) << syncs.err;
  EXPECT_EQ(Json::parse(syncs.out).size(), 2u);

  const auto report = parley({"source", "report", "--bot", bot_, "--json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_EQ(Json::parse(report.out)["summary"]["documents"], 2);
  const auto readable = parley({"source", "report", "--bot", bot_});
  EXPECT_THAT(readable.out, HasSubstr("Exact duplicates: none"));
  EXPECT_THAT(readable.out, HasSubstr("Empty or thin: 2"));

  const auto jobs = parley({"job", "list", "--bot", bot_});
  EXPECT_EQ(std::count(jobs.out.begin(), jobs.out.end(), '\n'), 2);
  EXPECT_THAT(jobs.out, HasSubstr("crawl  succeeded"));
}

// Between two requests to a site the crawl waits for the pause it owes the site; it must sleep through it, not spin
// a core on the job's state.
TEST_F(CrawlCliTest, WaitingBetweenRequestsCostsNoCpu) {
  std::string links;
  for (int i = 1; i <= 4; ++i) {
    site_.set("/page" + std::to_string(i), html_page("Page " + std::to_string(i), "<p>Opening hours and prices of shop " + std::to_string(i) + ".</p>"));
    links += "<a href=\"/page" + std::to_string(i) + "\">page</a>";
  }
  site_.set("/", html_page("Shops", "<p>Our shops.</p>" + links));
  const auto cpu_seconds = [] {
    rusage usage{};
    getrusage(RUSAGE_CHILDREN, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  };
  const double cpu_before = cpu_seconds();
  const auto started = std::chrono::steady_clock::now();
  const auto added = parley({"source", "add", "--bot", bot_, "--crawl", site_.url("/"), "--delay-ms", "600", "--concurrency", "1"});
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double cpu = cpu_seconds() - cpu_before;
  ASSERT_EQ(added.exit_code, 0) << added.err << added.out;
  EXPECT_THAT(added.out, HasSubstr("5 added"));
  ASSERT_GT(wall, 2.4);  // four pauses of 600 ms
  // Spinning kept a core busy for the whole wait (cpu ≈ wall); sleeping leaves start-up and the pages' work.
  EXPECT_LT(cpu, 0.35 * wall) << "cpu " << cpu << " s over " << wall << " s";
}

TEST_F(CrawlCliTest, MistakesAreExplained) {
  const auto both = parley({"source", "add", "--bot", bot_, "--crawl", site_.url("/"), "notes.md"});
  EXPECT_EQ(both.exit_code, 1);
  EXPECT_THAT(both.err, HasSubstr("not both"));
  const auto nothing = parley({"source", "add", "--bot", bot_});
  EXPECT_EQ(nothing.exit_code, 1);
  EXPECT_THAT(nothing.err, HasSubstr("--crawl URL"));
  const auto bad_url = parley({"source", "add", "--bot", bot_, "--crawl", "example.com"});
  EXPECT_EQ(bad_url.exit_code, 1);
  EXPECT_THAT(bad_url.err, HasSubstr("not an absolute URL"));
  const auto schedule = parley({"source", "add", "--bot", bot_, "--crawl", site_.url("/"), "--schedule", "sometimes"});
  EXPECT_EQ(schedule.exit_code, 1);
  EXPECT_THAT(schedule.err, HasSubstr("schedule"));
}

TEST_F(CrawlCliTest, TheServerRunsADetachedCrawl) {
  const auto queued = parley({"source", "add", "--bot", bot_, "--crawl", site_.url("/"), "--delay-ms", "0", "--detach", "--json"});
  ASSERT_EQ(queued.exit_code, 0) << queued.err;
  const std::string job = Json::parse(queued.out)["job"]["id"];
  testing::BackgroundProcess server({PARLEY_BINARY, "--data", dir_.file("data"), "serve", "--port", "0"});
  ASSERT_FALSE(server.wait_for_output("listening", std::chrono::seconds(20)).empty());
  Json shown;
  for (int i = 0; i < 200; ++i) {
    shown = Json::parse(parley({"job", "show", "--bot", bot_, job, "--json"}).out);
    if (shown["state"] == "succeeded") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(shown["state"], "succeeded");
  EXPECT_EQ(shown["result"]["added"], 2);
  // Files can be handed over the same way.
  const std::string notes = dir_.file("notes.md");
  std::ofstream(notes) << "# Notes\n\nThe workshop is closed on public holidays.\n";
  const auto files = parley({"source", "add", "--bot", bot_, notes, "--detach"});
  ASSERT_EQ(files.exit_code, 0) << files.err;
  const std::string file_job = files.out.substr(files.out.find("job ") + 4, 24);
  for (int i = 0; i < 200; ++i) {
    shown = Json::parse(parley({"job", "show", "--bot", bot_, file_job, "--json"}).out);
    if (shown["state"] == "succeeded") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(shown["kind"], "ingest");
  EXPECT_EQ(shown["result"]["added"], 1);
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

TEST_F(CrawlCliTest, ARestartedServerResumesTheCrawlItWasRunning) {
  std::string links;
  for (int i = 1; i <= 40; ++i) {
    auto page = html_page("Page " + std::to_string(i), "<p>Workshop service number " + std::to_string(i) +
                                                           " is described on this page in enough words.</p>");
    page.delay = std::chrono::milliseconds(30);
    site_.set("/p" + std::to_string(i), page);
    links += "<a href=\"/p" + std::to_string(i) + "\">p</a>";
  }
  site_.set("/", html_page("Home", "<p>All our workshop services, one page each.</p>" + links));
  const auto queued = parley({"source", "add", "--bot", bot_, "--crawl", site_.url("/"), "--delay-ms", "0",
                              "--concurrency", "1", "--detach", "--json"});
  ASSERT_EQ(queued.exit_code, 0) << queued.err;
  const std::string job = Json::parse(queued.out)["job"]["id"];
  const auto show = [&] { return Json::parse(parley({"job", "show", "--bot", bot_, job, "--json"}).out); };
  {
    testing::BackgroundProcess server({PARLEY_BINARY, "--data", dir_.file("data"), "serve", "--port", "0"});
    ASSERT_FALSE(server.wait_for_output("listening", std::chrono::seconds(20)).empty());
    for (int i = 0; i < 400 && show()["progress"].value("pages_done", 0) < 8; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(server.stop(SIGTERM), 0);
  }
  const Json stopped = show();
  EXPECT_EQ(stopped["state"], "queued");
  EXPECT_LT(stopped["progress"].value("pages_done", 0), 41);
  testing::BackgroundProcess server({PARLEY_BINARY, "--data", dir_.file("data"), "serve", "--port", "0"});
  ASSERT_FALSE(server.wait_for_output("listening", std::chrono::seconds(20)).empty());
  Json finished;
  for (int i = 0; i < 400; ++i) {
    finished = show();
    if (finished["state"] == "succeeded") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(finished["state"], "succeeded");
  EXPECT_EQ(finished["attempts"], 2);
  const auto list = parley({"source", "list", "--bot", bot_});
  EXPECT_THAT(list.out, HasSubstr("ready  41 documents"));
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace parley
