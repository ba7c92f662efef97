// The crawler end to end: a real site on loopback (Parley's own HTTP server), a real SQLite file, the real job
// runner. Each test asserts exactly what a sync added, updated, removed, failed and skipped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <boost/asio.hpp>

#include "common/clock.h"
#include "crawl/sitemap.h"
#include "crawl_fixture.h"
#include "jobs/jobs.h"
#include "ingest/report.h"
#include "jobs/scheduler.h"
#include "support/documents.h"

namespace parley::crawl {
namespace {

using parley::testing::html_page;
using parley::testing::redirect_to;
using parley::testing::TestPage;
using parley::testing::TestSite;
using ::testing::HasSubstr;
using Set = std::set<std::string>;

std::string gzip(const std::string& data) {
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(compressBound(static_cast<uLong>(data.size())) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::string urlset(const TestSite& site, const std::vector<std::pair<std::string, std::string>>& pages) {
  std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">)";
  for (const auto& [path, lastmod] : pages) {
    xml += "<url><loc>" + site.url(path) + "</loc>" + (lastmod.empty() ? "" : "<lastmod>" + lastmod + "</lastmod>") + "</url>";
  }
  return xml + "</urlset>";
}

TestPage xml(const std::string& body, const std::string& type = "application/xml") {
  TestPage page;
  page.body = body;
  page.content_type = type;
  return page;
}

std::string paragraph(const std::string& topic) {
  return "<p>This page explains " + topic + " in enough words to be a real page of the help centre, with details "
         "that a visitor would ask about and that the bot should be able to cite.</p>";
}

class CrawlerTest : public CrawlFixture {};

TEST_F(CrawlerTest, FirstCrawlThenResyncAddsUpdatesAndRemovesExactlyWhatChanged) {
  TestSite site;
  site.set("/robots.txt", xml("User-agent: *\nDisallow: /private\n", "text/plain"));
  site.set("/sitemap_index.xml",
           xml(R"(<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>)" +
               site.url("/sitemap-pages.xml.gz") + "</loc></sitemap></sitemapindex>"));
  site.set("/sitemap-pages.xml.gz", xml(gzip(urlset(site, {{"/", ""}, {"/d", "2020-01-02"}})), "application/gzip"));
  site.set("/", html_page("Home", paragraph("the shop") +
                                      "<a href=\"/a\">A</a> <a href=\"b\">B</a> <a href=\"/private/secret\">secret</a>"
                                      "<a href=\"/old\">old</a> <a href=\"/b-print\">print</a> <a href=\"/about#team\">about</a>"
                                      "<a href=\"mailto:x@example.com\">mail</a> <a href=\"http://other.example/x\">out</a>"
                                      "<a href=\"/logo.png\">logo</a> <a href=\"/a?utm_source=newsletter\">A again</a>"));
  site.set("/a", html_page("Returns", paragraph("returns") + "<a href=\"/c\">C</a>"));
  site.set("/b", html_page("Shipping", paragraph("shipping costs of $7.95")));
  site.set("/c", html_page("Warranty", paragraph("the two-year warranty")));
  site.set("/d", html_page("Old offer", paragraph("an offer only the sitemap lists")));
  site.set("/old", redirect_to("/b"));
  site.set("/b-print", html_page("Shipping (print)", paragraph("shipping costs of $7.95"),
                                 "<link rel=\"canonical\" href=\"" + site.url("/b") + "\">"));
  site.set("/private/secret", html_page("Secret", paragraph("secrets")));

  const auto queued = add_source(settings({{"url", site.url("/")}, {"sitemap", site.url("/sitemap_index.xml")}}));
  const auto first = run(queued.job);
  ASSERT_EQ(first.state, store::JobState::succeeded) << first.error;
  const std::string origin = site.origin();
  EXPECT_EQ(pages(first, "added", origin), (Set{"/", "/a", "/b", "/c", "/d"}));
  EXPECT_EQ(pages(first, "skipped", origin), (Set{"/private/secret", "/b-print"}));
  EXPECT_EQ(pages(first, "redirected", origin), (Set{"/old"}));
  EXPECT_EQ(pages(first, "failed", origin), (Set{"/about"}));
  EXPECT_EQ(reason(first, site.url("/private/secret")), "disallowed by robots.txt");
  EXPECT_THAT(reason(first, site.url("/b-print")), HasSubstr("canonical URL " + site.url("/b")));
  EXPECT_EQ(reason(first, site.url("/about")), "HTTP 404: not found");
  EXPECT_EQ(site.hits("/private/secret"), 0);  // robots.txt is obeyed before any request
  EXPECT_EQ(site.hits("/logo.png"), 0);        // assets are not fetched
  EXPECT_EQ(site.hits("/a"), 1);               // the tracking parameter did not make a second page
  EXPECT_EQ(first.result["added"], 5);
  EXPECT_EQ(document_paths(queued.source.id, origin), (Set{"/", "/a", "/b", "/c", "/d"}));
  for (const auto& document : documents(queued.source.id)) {
    if (document.uri == site.url("/d")) {
      ASSERT_TRUE(document.modified_at.has_value());  // the sitemap's <lastmod>
      EXPECT_EQ(format_rfc3339(*document.modified_at).substr(0, 10), "2020-01-02");
    }
  }

  // Between the syncs: /a changes, /c is deleted, /d leaves the sitemap, the home page links a new page /e.
  site.set("/sitemap-pages.xml.gz", xml(gzip(urlset(site, {{"/", ""}})), "application/gzip"));
  site.set("/", html_page("Home", paragraph("the shop") + "<a href=\"/a\">A</a> <a href=\"/b\">B</a> <a href=\"/e\">E</a>"
                                      "<a href=\"/about\">about</a>"));
  site.set("/a", html_page("Returns", paragraph("returns within 60 days") + "<a href=\"/c\">C</a>"));
  site.remove("/c");
  site.set("/e", html_page("Gift cards", paragraph("gift cards")));
  const int not_modified_before = site.not_modified_answers();

  const auto second = sync(queued.source.id);
  ASSERT_EQ(second.state, store::JobState::succeeded) << second.error;
  EXPECT_EQ(pages(second, "added", origin), (Set{"/e"}));
  EXPECT_EQ(pages(second, "updated", origin), (Set{"/", "/a"}));
  EXPECT_EQ(pages(second, "unchanged", origin), (Set{"/b"}));
  EXPECT_EQ(pages(second, "removed", origin), (Set{"/c", "/d"}));
  EXPECT_EQ(reason(second, site.url("/c")), "HTTP 404: not found");
  EXPECT_EQ(reason(second, site.url("/d")), "no longer linked from the site or listed in its sitemap");
  EXPECT_GT(site.not_modified_answers(), not_modified_before);  // /b answered 304 to its ETag
  EXPECT_EQ(document_paths(queued.source.id, origin), (Set{"/", "/a", "/b", "/e"}));
  for (const auto& document : documents(queued.source.id)) {
    if (document.uri != site.url("/a")) continue;
    const auto chunks = chunks_of(document.id);
    ASSERT_FALSE(chunks.empty());
    EXPECT_THAT(chunks[0].text, HasSubstr("within 60 days"));
  }
}

TEST_F(CrawlerTest, AResyncOfAChangedPageKeepsTheIdsOfItsUnchangedChunks) {
  TestSite site;
  const auto sections = [](const std::vector<std::pair<std::string, std::string>>& titled) {
    std::string html;
    for (const auto& [heading, topic] : titled) html += "<h2>" + heading + "</h2>" + paragraph(topic);
    return html;
  };
  site.set("/", html_page("Help", sections({{"Shipping", "shipping by courier"}, {"Returns", "returns within 30 days"},
                                            {"Warranty", "the two-year warranty"}})));
  const auto queued = add_source(settings({{"url", site.url("/")}}));
  ASSERT_EQ(run(queued.job).state, store::JobState::succeeded);
  const auto documents_before = documents(queued.source.id);
  ASSERT_EQ(documents_before.size(), 1u);
  const auto before = chunks_of(documents_before[0].id);
  ASSERT_EQ(before.size(), 3u);

  // Returns edited, Warranty removed, Gift cards added.
  site.set("/", html_page("Help", sections({{"Shipping", "shipping by courier"}, {"Returns", "returns within 60 days"},
                                            {"Gift cards", "gift cards"}})));
  const auto second = sync(queued.source.id);
  ASSERT_EQ(second.state, store::JobState::succeeded) << second.error;
  EXPECT_EQ(pages(second, "updated", site.origin()), (Set{"/"}));
  const auto after = chunks_of(documents_before[0].id);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0].id, before[0].id);  // Shipping: unchanged
  EXPECT_EQ(after[0].text, before[0].text);
  EXPECT_THAT(after[1].text, HasSubstr("within 60 days"));
  EXPECT_THAT(after[2].text, HasSubstr("gift cards"));
  for (const auto& old : before) {
    EXPECT_NE(after[1].id, old.id);
    EXPECT_NE(after[2].id, old.id);
  }
  std::vector<store::ChunkIndexTerms> terms;
  std::vector<store::Chunk> removed_rows;
  ASSERT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(terms, tx.chunk_terms(bot_, {before[1].id, before[2].id, after[0].id, after[1].id}));
    PARLEY_ASSIGN_OR_RETURN(removed_rows, tx.chunks(bot_, {before[1].id, before[2].id}));
    return {};
  }).ok());
  ASSERT_EQ(terms.size(), 4u);
  EXPECT_TRUE(terms[0].body.empty());  // the old Returns and Warranty chunks left the full-text index
  EXPECT_TRUE(terms[1].body.empty());
  EXPECT_FALSE(terms[2].body.empty());  // the kept chunk is still indexed, under its old id
  EXPECT_FALSE(terms[3].body.empty());
  EXPECT_TRUE(removed_rows.empty());
}

TEST_F(CrawlerTest, PdfDocxAndTextPagesGoThroughTheirLoaders) {
  TestSite site;
  site.set("/", html_page("Downloads", paragraph("downloads") + "<a href=\"/manual.pdf\">manual</a>"
                                                                 "<a href=\"/terms.docx\">terms</a><a href=\"/notes.txt\">notes</a>"));
  TestPage pdf;
  pdf.body = parley::testing::make_pdf({{{18, "Assembly manual"}, {11, "Tighten the stem bolts to five newton metres."}}});
  pdf.content_type = "application/pdf";
  site.set("/manual.pdf", pdf);
  TestPage docx;
  docx.body = parley::testing::make_docx(parley::testing::docx_paragraph("Rental terms: the deposit is refunded within a week."));
  docx.content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  site.set("/terms.docx", docx);
  TestPage text;
  text.body = "Holiday hours: the Seattle store closes at noon on December 24.";
  text.content_type = "text/plain; charset=utf-8";
  site.set("/notes.txt", text);
  const auto queued = add_source(settings({{"url", site.url("/")}}));
  const auto job = run(queued.job);
  EXPECT_EQ(pages(job, "added", site.origin()), (Set{"/", "/manual.pdf", "/terms.docx", "/notes.txt"}));
  std::map<std::string, std::string> types;
  std::string all_text;
  for (const auto& document : documents(queued.source.id)) {
    types[document.uri.substr(site.origin().size())] = document.content_type;
    for (const auto& chunk : chunks_of(document.id)) all_text += chunk.text + "\n";
  }
  EXPECT_EQ(types["/manual.pdf"], "application/pdf");
  EXPECT_EQ(types["/notes.txt"], "text/plain");
  EXPECT_THAT(all_text, HasSubstr("five newton metres"));
  EXPECT_THAT(all_text, HasSubstr("deposit is refunded"));
  EXPECT_THAT(all_text, HasSubstr("closes at noon"));
}

// A chain of 117 redirects with max_pages 10: at most 10 redirects are followed from the first URL, counted along
// the chain (each hop is a request of its own), and the rest of the chain is never requested.
TEST_F(CrawlerTest, RedirectChainsStopAfterTenHops) {
  TestSite site;
  site.set("/", html_page("Home", paragraph("home") + "<a href=\"/hop-0\">start</a>"));
  for (int hop = 0; hop < 117; ++hop) site.set("/hop-" + std::to_string(hop), redirect_to("/hop-" + std::to_string(hop + 1)));
  site.set("/hop-117", html_page("End", paragraph("the end of the chain")));
  const auto queued = add_source(settings({{"url", site.url("/")}, {"max_pages", 10}}));
  const auto job = run(queued.job);
  ASSERT_EQ(job.state, store::JobState::succeeded) << job.error;
  for (int hop = 0; hop <= 10; ++hop) EXPECT_EQ(site.hits("/hop-" + std::to_string(hop)), 1) << hop;
  EXPECT_EQ(site.hits("/hop-11"), 0);
  EXPECT_EQ(site.hits("/hop-117"), 0);
  EXPECT_EQ(pages(job, "redirected", site.origin()).size(), 10u);
  EXPECT_TRUE(pages(job, "failed", site.origin()).contains("/hop-10"));
  EXPECT_EQ(reason(job, site.url("/hop-10")), "more than 10 redirects in a row (from " + site.url("/hop-0") + ")");
}

TEST_F(CrawlerTest, BadPagesFailWithClearReasonsAndTheRestIsIndexed) {
  TestSite site;
  std::string links;
  for (const char* path : {"/hang", "/endless", "/huge", "/binary.txt", "/image", "/loop-a", "/slow", "/ok", "/calendar?month=1"}) {
    links += std::string("<a href=\"") + path + "\">x</a> ";
  }
  site.set("/", html_page("Home", paragraph("home") + links));
  TestPage hang;
  hang.hang = true;
  site.set("/hang", hang);
  TestPage endless;
  endless.endless = true;
  site.set("/endless", endless);
  TestPage huge = html_page("Huge", std::string(3 << 20, 'a'));
  site.set("/huge", huge);
  TestPage binary;
  binary.body = std::string("\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", 16) + std::string(2000, '\0');
  binary.content_type = "text/plain";
  site.set("/binary.txt", binary);
  TestPage image = html_page("Image", "x");
  image.content_type = "image/png";
  site.set("/image", image);
  site.set("/loop-a", redirect_to("/loop-b"));
  site.set("/loop-b", redirect_to("/loop-a"));
  TestPage slow = html_page("Slow", paragraph("a slow page"));
  slow.delay = std::chrono::milliseconds(300);
  site.set("/slow", slow);
  site.set("/ok", html_page("OK", paragraph("a good page")));
  // An endless calendar: every month links the next one.
  for (int month = 1; month <= 100; ++month) {
    site.set("/calendar?month=" + std::to_string(month),
             html_page("Month " + std::to_string(month), paragraph("events of month " + std::to_string(month)) +
                                                              "<a href=\"/calendar?month=" + std::to_string(month + 1) + "\">next</a>"));
  }

  const auto started = std::chrono::steady_clock::now();
  const auto queued = add_source(settings({{"url", site.url("/")}, {"max_depth", 4}, {"timeout_ms", 3000},
                                           {"max_page_bytes", 1 << 20}}));
  const auto job = run(queued.job);
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(job.state, store::JobState::succeeded) << job.error;
  EXPECT_LT(seconds, 20);
  const std::string origin = site.origin();
  const Set failed = pages(job, "failed", origin);
  for (const char* path : {"/hang", "/endless", "/huge", "/binary.txt", "/image"}) EXPECT_TRUE(failed.contains(path)) << path;
  EXPECT_THAT(reason(job, site.url("/hang")), HasSubstr("timed out"));
  EXPECT_THAT(reason(job, site.url("/endless")), HasSubstr("larger than 1 MB"));
  EXPECT_THAT(reason(job, site.url("/huge")), HasSubstr("larger than 1 MB"));
  EXPECT_THAT(reason(job, site.url("/binary.txt")), HasSubstr("binary"));
  EXPECT_THAT(reason(job, site.url("/image")), HasSubstr("unsupported content type image/png"));
  EXPECT_TRUE(failed.contains("/loop-a") || failed.contains("/loop-b"));
  EXPECT_THAT(reason(job, site.url("/loop-b")) + reason(job, site.url("/loop-a")), HasSubstr("redirect loop"));
  const Set added = pages(job, "added", origin);
  for (const char* path : {"/", "/ok", "/slow", "/calendar?month=1"}) EXPECT_TRUE(added.contains(path)) << path;
  // The calendar stops at the depth limit: month 1 is at depth 1, so months 1..4 and no further.
  EXPECT_TRUE(added.contains("/calendar?month=4"));
  EXPECT_FALSE(added.contains("/calendar?month=5"));
  EXPECT_EQ(site.hits("/calendar?month=5"), 0);
}

// A server that lies: it declares 5,000 bytes and sends 30, then closes (robots.txt is an honest 404).
class LyingServer {
 public:
  LyingServer() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] {
      for (;;) {
        boost::system::error_code error;
        boost::asio::ip::tcp::socket socket(io_);
        acceptor_.accept(socket, error);
        if (error || stopping_) return;
        boost::asio::streambuf request;
        boost::asio::read_until(socket, request, "\r\n\r\n", error);
        const std::string head(boost::asio::buffers_begin(request.data()), boost::asio::buffers_end(request.data()));
        const std::string answer =
            head.starts_with("GET /robots.txt")
                ? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                : "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n"
                  "<html><body><p>short</p></body>";
        boost::asio::write(socket, boost::asio::buffer(answer), error);
        socket.close(error);
      }
    });
  }
  ~LyingServer() {
    stopping_ = true;
    boost::system::error_code error;
    boost::asio::ip::tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), error);
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + path;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

TEST_F(CrawlerTest, AServerThatLiesAboutContentLengthFailsThePageAndTheSource) {
  LyingServer server;
  const auto queued = add_source(settings({{"url", server.url("/")}}));
  const auto job = run(queued.job);
  ASSERT_EQ(job.state, store::JobState::succeeded) << job.error;
  EXPECT_THAT(reason(job, server.url("/")), HasSubstr("Content-Length"));
  EXPECT_TRUE(documents(queued.source.id).empty());
  store::Source source;
  ASSERT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
    source = tx.source(bot_, queued.source.id)->value();
    return {};
  }).ok());
  EXPECT_EQ(source.status, "failed");
  EXPECT_THAT(source.error, HasSubstr("no page could be indexed"));
}

TEST_F(CrawlerTest, MaxPagesStopsTheCrawlAndAnIncompleteSyncRemovesNothing) {
  TestSite site;
  std::string links;
  for (int i = 1; i <= 10; ++i) {
    site.set("/p" + std::to_string(i), html_page("Page " + std::to_string(i), paragraph("topic " + std::to_string(i))));
    links += "<a href=\"/p" + std::to_string(i) + "\">p</a>";
  }
  site.set("/", html_page("Home", paragraph("home") + links));
  const auto queued = add_source(settings({{"url", site.url("/")}, {"max_pages", 4}, {"concurrency", 1}}));
  const auto first = run(queued.job);
  ASSERT_EQ(first.state, store::JobState::succeeded) << first.error;
  EXPECT_EQ(first.result["added"], 4);
  EXPECT_TRUE(first.result["truncated"].get<bool>());
  EXPECT_EQ(documents(queued.source.id).size(), 4u);
  // The same 4 pages again, unchanged; the 6 never reached are not "gone".
  const auto second = sync(queued.source.id);
  EXPECT_EQ(second.result["unchanged"], 4);
  EXPECT_EQ(second.result["removed"], 0);
  EXPECT_EQ(documents(queued.source.id).size(), 4u);
}

TEST_F(CrawlerTest, IncludeAndExcludePatternsChooseThePages) {
  TestSite site;
  site.set("/", html_page("Home", paragraph("home") + "<a href=\"/help/a\">a</a><a href=\"/help/b\">b</a>"
                                                       "<a href=\"/help/b/print\">p</a><a href=\"/blog/x\">x</a>"));
  for (const char* path : {"/help/a", "/help/b", "/help/b/print", "/blog/x"}) site.set(path, html_page(path, paragraph(path)));
  const auto queued = add_source(settings({{"url", site.url("/")}, {"include", {"/$", "/help/"}}, {"exclude", {"*/print$"}}}));
  const auto job = run(queued.job);
  EXPECT_EQ(document_paths(queued.source.id, site.origin()), (Set{"/", "/help/a", "/help/b"}));
  EXPECT_EQ(site.hits("/blog/x"), 0);
  EXPECT_EQ(site.hits("/help/b/print"), 0);
  EXPECT_EQ(job.result["added"], 3);
}

TEST_F(CrawlerTest, RepeatedParagraphsAreKeptOutOfTheIndexAfterTheFirstPages) {
  TestSite site;
  const std::string promo = "<p>Spring sale: every bike helmet is twenty percent off until the end of the month, in "
                            "all of our stores and online.</p>";
  std::string links;
  for (int i = 1; i <= 6; ++i) {
    site.set("/p" + std::to_string(i), html_page("Page " + std::to_string(i), paragraph("topic " + std::to_string(i)) + promo));
    links += "<a href=\"/p" + std::to_string(i) + "\">p</a>";
  }
  site.set("/", html_page("Home", paragraph("home") + links));
  const auto queued = add_source(settings({{"url", site.url("/")}, {"concurrency", 1}}));
  ASSERT_EQ(run(queued.job).state, store::JobState::succeeded);
  int pages_with_promo = 0;
  for (const auto& document : documents(queued.source.id)) {
    for (const auto& chunk : chunks_of(document.id)) {
      if (chunk.text.find("Spring sale") != std::string::npos) ++pages_with_promo;
    }
  }
  EXPECT_EQ(pages_with_promo, 2);  // the first two pages keep it; from the third on it is boilerplate
  // The report names it, as kept out of the index.
  const auto report = ingest::build_report(*store_, scope(), bot_);
  ASSERT_TRUE(report.ok()) << report.error().message;
  ASSERT_FALSE((*report)["boilerplate"].empty());
  const auto& first = (*report)["boilerplate"][0];
  EXPECT_THAT(first["text"].get<std::string>(), HasSubstr("Spring sale"));
  EXPECT_EQ(first["indexed"], false);
  EXPECT_EQ(first["pages"], 6);
}

TEST_F(CrawlerTest, AStoppedRunnerLeavesTheJobQueuedAndTheNextOneFinishesWithoutDuplicates) {
  TestSite site;
  std::string links;
  for (int i = 1; i <= 60; ++i) {
    TestPage page = html_page("Page " + std::to_string(i), paragraph("topic number " + std::to_string(i)));
    page.delay = std::chrono::milliseconds(15);
    site.set("/p" + std::to_string(i), page);
    links += "<a href=\"/p" + std::to_string(i) + "\">p</a>";
  }
  site.set("/", html_page("Home", paragraph("home") + links));
  const auto queued = add_source(settings({{"url", site.url("/")}, {"concurrency", 2}}));
  CrawlerOptions options = loopback_options();
  options.batch_pages = 4;
  {
    jobs::JobRunner runner(*store_);
    register_crawl_jobs(runner, options);
    runner.start();
    for (int waited = 0; waited < 400; ++waited) {
      std::map<std::string, std::int64_t> counts;
      ASSERT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
        PARLEY_ASSIGN_OR_RETURN(counts, tx.crawl_page_counts(queued.job.id));
        return {};
      }).ok());
      if (counts["added"] >= 15) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    runner.stop();
  }
  store::Job stopped;
  ASSERT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
    stopped = tx.job(queued.job.id)->value();
    return {};
  }).ok());
  EXPECT_EQ(stopped.state, store::JobState::queued);
  const auto stored_before = documents(queued.source.id).size();
  EXPECT_GE(stored_before, 15u);
  EXPECT_LT(stored_before, 61u);

  const auto finished = run(stopped, options);
  ASSERT_EQ(finished.state, store::JobState::succeeded) << finished.error;
  EXPECT_EQ(finished.attempts, 2);
  const auto stored = documents(queued.source.id);
  EXPECT_EQ(stored.size(), 61u);
  EXPECT_EQ(pages(finished, "added", site.origin()).size(), 61u);
  for (int i = 1; i <= 60; ++i) EXPECT_LE(site.hits("/p" + std::to_string(i)), 2) << i;  // at most re-fetched once
}

TEST_F(CrawlerTest, AKilledProcessLosesNothingItCommittedAndItsJobResumesAfterTheLease) {
  TestSite site;
  std::string links;
  for (int i = 1; i <= 60; ++i) {
    TestPage page = html_page("Page " + std::to_string(i), paragraph("subject " + std::to_string(i)));
    page.delay = std::chrono::milliseconds(20);
    site.set("/p" + std::to_string(i), page);
    links += "<a href=\"/p" + std::to_string(i) + "\">p</a>";
  }
  site.set("/", html_page("Home", paragraph("home") + links));
  const auto queued = add_source(settings({{"url", site.url("/")}, {"concurrency", 2}}));
  const pid_t child = ::fork();
  if (child == 0) {
    // The crawling process, with its own store connections and a short lease.
    auto store = std::move(store::open_store({dir_.file("parley.db")})).value();
    jobs::RunnerOptions runner_options;
    runner_options.lease = std::chrono::milliseconds(1000);
    jobs::JobRunner runner(*store, runner_options);
    CrawlerOptions options = loopback_options();
    options.batch_pages = 4;
    register_crawl_jobs(runner, options);
    (void)runner.run_job(scope(), queued.job.id);
    ::_exit(0);
  }
  for (int waited = 0; waited < 1000 && documents(queued.source.id).size() < 15; ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  const auto committed = documents(queued.source.id);
  ASSERT_GE(committed.size(), 15u);
  ASSERT_LT(committed.size(), 61u);
  // While the dead process's lease lasts, nobody else may take the job.
  {
    jobs::JobRunner runner(*store_);
    auto early = runner.run_job(scope(), queued.job.id);
    if (!early.ok()) {
      EXPECT_EQ(early.error().code, ErrorCode::conflict);
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  store::Job job;
  ASSERT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
    job = tx.job(queued.job.id)->value();
    return {};
  }).ok());
  const auto finished = job.state == store::JobState::succeeded ? job : run(job);
  ASSERT_EQ(finished.state, store::JobState::succeeded) << finished.error;
  const auto stored = documents(queued.source.id);
  EXPECT_EQ(stored.size(), 61u);
  Set uris;
  for (const auto& document : stored) uris.insert(document.uri);
  EXPECT_EQ(uris.size(), 61u);
  for (const auto& document : committed) EXPECT_TRUE(uris.contains(document.uri)) << document.uri;
}

TEST_F(CrawlerTest, PauseResumeAndCancelReachARunningCrawl) {
  TestSite site;
  std::string links;
  for (int i = 1; i <= 40; ++i) {
    TestPage page = html_page("Page " + std::to_string(i), paragraph("item " + std::to_string(i)));
    page.delay = std::chrono::milliseconds(25);
    site.set("/p" + std::to_string(i), page);
    links += "<a href=\"/p" + std::to_string(i) + "\">p</a>";
  }
  site.set("/", html_page("Home", paragraph("home") + links));
  const auto queued = add_source(settings({{"url", site.url("/")}, {"concurrency", 1}}));
  jobs::RunnerOptions runner_options;
  runner_options.heartbeat_interval = std::chrono::milliseconds(50);
  runner_options.idle_poll = std::chrono::milliseconds(50);
  jobs::JobRunner runner(*store_, runner_options);
  register_crawl_jobs(runner, loopback_options());
  runner.start();
  const auto state = [&] {
    store::Job job;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      job = tx.job(queued.job.id)->value();
      return {};
    }).ok());
    return job;
  };
  const auto wait_for = [&](store::JobState wanted) {
    for (int i = 0; i < 500 && state().state != wanted; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return state();
  };
  ASSERT_EQ(wait_for(store::JobState::running).state, store::JobState::running);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(jobs::control_job(*store_, scope(), bot_, queued.job.id, jobs::JobAction::pause).ok());
  const auto paused = wait_for(store::JobState::paused);
  ASSERT_EQ(paused.state, store::JobState::paused);
  const auto done_when_paused = paused.progress.value("pages_done", 0);
  EXPECT_GT(done_when_paused, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_EQ(state().progress.value("pages_done", 0), done_when_paused);  // nothing moves while paused
  ASSERT_TRUE(jobs::control_job(*store_, scope(), bot_, queued.job.id, jobs::JobAction::resume).ok());
  runner.wake();
  ASSERT_EQ(wait_for(store::JobState::running).state, store::JobState::running);
  ASSERT_TRUE(jobs::control_job(*store_, scope(), bot_, queued.job.id, jobs::JobAction::cancel).ok());
  const auto cancelled = wait_for(store::JobState::cancelled);
  EXPECT_EQ(cancelled.state, store::JobState::cancelled);
  EXPECT_GT(cancelled.progress.value("pages_done", 0), done_when_paused);
  EXPECT_LT(cancelled.progress.value("pages_done", 0), 41);
  runner.stop();
  // What the cancelled crawl indexed stays, and the source is usable.
  EXPECT_GE(documents(queued.source.id).size(), static_cast<std::size_t>(done_when_paused));
  ASSERT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
    EXPECT_EQ(tx.source(bot_, queued.source.id)->value().status, "ready");
    return {};
  }).ok());
}

TEST_F(CrawlerTest, APageThatTurnsNoindexOrRedirectsIsRemovedWithTheReason) {
  TestSite site;
  site.set("/", html_page("Home", paragraph("home") + "<a href=\"/a\">a</a><a href=\"/b\">b</a>"));
  site.set("/a", html_page("A", paragraph("page a")));
  site.set("/b", html_page("B", paragraph("page b")));
  const auto queued = add_source(settings({{"url", site.url("/")}}));
  ASSERT_EQ(run(queued.job).result["added"], 3);
  site.set("/a", html_page("A", paragraph("page a"), "<meta name=\"robots\" content=\"noindex\">"));
  site.set("/b", redirect_to("/"));
  const auto second = sync(queued.source.id);
  EXPECT_EQ(pages(second, "removed", site.origin()), (Set{"/a", "/b"}));
  EXPECT_EQ(reason(second, site.url("/a")), "the page is now skipped: the page asks not to be indexed (noindex)");
  EXPECT_EQ(reason(second, site.url("/b")), "the page is now redirected: to " + site.url("/") + " (already in the crawl)");
  EXPECT_EQ(document_paths(queued.source.id, site.origin()), (Set{"/"}));
}

TEST_F(CrawlerTest, AServerStoppingWhileRobotsTxtHangsStopsAtOnceAndTheJobResumesLater) {
  TestSite site;
  TestPage hanging;
  hanging.hang = true;
  hanging.content_type = "text/plain";
  site.set("/robots.txt", hanging);
  site.set("/", html_page("Home", paragraph("home")));
  const auto queued = add_source(settings({{"url", site.url("/")}, {"timeout_ms", 60000}}));
  jobs::RunnerOptions options;
  options.idle_poll = std::chrono::milliseconds(20);
  jobs::JobRunner runner(*store_, options);
  register_crawl_jobs(runner, loopback_options());
  runner.start();
  for (int i = 0; i < 500 && site.hits("/robots.txt") == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto stopping = std::chrono::steady_clock::now();
  runner.stop();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - stopping).count(), 2.0);
  store::Job job;
  ASSERT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
    job = tx.job(queued.job.id)->value();
    return {};
  }).ok());
  EXPECT_EQ(job.state, store::JobState::queued);
  // Nothing was recorded about the pages: the resumed job reads robots.txt again and crawls normally.
  site.set("/robots.txt", xml("User-agent: *\nAllow: /\n", "text/plain"));
  const auto finished = run(job);
  EXPECT_EQ(finished.state, store::JobState::succeeded) << finished.error;
  EXPECT_EQ(pages(finished, "added", site.origin()), (Set{"/"}));
}

TEST_F(CrawlerTest, ASiteThatHangsDoesNotHoldUpAnotherSitesCrawl) {
  TestSite stuck, healthy;
  TestPage hang;
  hang.hang = true;
  std::string links;
  for (int i = 1; i <= 4; ++i) {
    stuck.set("/h" + std::to_string(i), hang);
    links += "<a href=\"/h" + std::to_string(i) + "\">h</a>";
  }
  stuck.set("/", html_page("Stuck", paragraph("stuck") + links));
  healthy.set("/", html_page("Healthy", paragraph("healthy")));
  const auto slow = add_source(settings({{"url", stuck.url("/")}, {"timeout_ms", 3000}, {"concurrency", 1}}));
  const auto fast = add_source(settings({{"url", healthy.url("/")}}));
  jobs::RunnerOptions options;
  options.threads = 2;
  options.idle_poll = std::chrono::milliseconds(20);
  jobs::JobRunner runner(*store_, options);
  register_crawl_jobs(runner, loopback_options());
  const auto started = std::chrono::steady_clock::now();
  runner.start();
  const auto state = [&](const std::string& id) {
    store::JobState found = store::JobState::queued;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      found = tx.job(id)->value().state;
      return {};
    }).ok());
    return found;
  };
  while (state(fast.job.id) != store::JobState::succeeded &&
         std::chrono::steady_clock::now() - started < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(state(fast.job.id), store::JobState::succeeded);
  EXPECT_EQ(state(slow.job.id), store::JobState::running);  // still waiting out its hanging pages
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), 3.0);
  runner.stop();
}

TEST_F(CrawlerTest, TheSchedulerQueuesDueResyncsOnce) {
  TestSite site;
  site.set("/", html_page("Home", paragraph("home")));
  const auto queued = add_source(settings({{"url", site.url("/")}, {"schedule", "daily"}}));
  ASSERT_EQ(run(queued.job).state, store::JobState::succeeded);
  store::Source source;
  ASSERT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
    source = tx.source(bot_, queued.source.id)->value();
    return {};
  }).ok());
  ASSERT_TRUE(source.next_sync_at.has_value());
  EXPECT_NEAR(static_cast<double>(*source.next_sync_at - unix_millis()), 86'400'000.0, 60'000.0);
  jobs::SchedulerOptions options;
  options.schedule_seconds = source_schedule_seconds;
  jobs::Scheduler scheduler(*store_, options);
  EXPECT_EQ(scheduler.run_once(unix_millis()).value(), 0);  // not due yet
  EXPECT_EQ(scheduler.run_once(*source.next_sync_at + 1).value(), 1);
  EXPECT_EQ(scheduler.run_once(*source.next_sync_at + 2).value(), 0);  // moved on by a day
  std::vector<store::Job> jobs;
  ASSERT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
    store::JobFilter filter;
    filter.bot_id = bot_;
    PARLEY_ASSIGN_OR_RETURN(jobs, tx.jobs(filter));
    return {};
  }).ok());
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].trigger, "schedule");
  EXPECT_EQ(run(jobs[0]).result["unchanged"], 1);
}

// Crawl URLs come from workspace admins: by default this machine, the private network and cloud metadata
// endpoints stay out of reach, whatever the URL names (an address, or a host name resolving to one).
TEST_F(CrawlerTest, PrivateAddressesAreRefusedUnlessTheOperatorAllowsThem) {
  TestSite site;
  site.set("/", html_page("Internal", paragraph("the admin password is hunter2")));
  const std::string by_name = "http://localhost:" + site.url("/").substr(site.url("/").rfind(':') + 1);
  std::string source_id;
  for (const std::string& url : {site.url("/"), by_name}) {
    const auto queued = add_source(settings({{"url", url}}));
    if (source_id.empty()) source_id = queued.source.id;
    const auto refused = run(queued.job, CrawlerOptions{});
    EXPECT_EQ(refused.result.value("added", -1), 0) << url;
    EXPECT_THAT(reason(refused, url), HasSubstr("refused to connect to")) << url;
    EXPECT_THAT(reason(refused, url), HasSubstr("not a public internet address")) << url;
  }
  EXPECT_EQ(site.total_hits(), 0);  // not even robots.txt
  // The operator's choice (parley.toml [network] allow_private_addresses) lets the same source through.
  const auto allowed = sync(source_id);
  EXPECT_EQ(allowed.result.value("added", -1), 1);
  EXPECT_EQ(site.hits("/"), 1);
}

TEST_F(CrawlerTest, AnUnreachableSitemapWithoutAStartUrlFailsTheJobWithTheReason) {
  TestSite site;
  const auto queued = add_source(settings({{"sitemap", site.url("/missing-sitemap.xml")}}));
  const auto job = run(queued.job);
  EXPECT_EQ(job.state, store::JobState::failed);
  EXPECT_THAT(job.error, HasSubstr("HTTP 404"));
}

}  // namespace
}  // namespace parley::crawl
