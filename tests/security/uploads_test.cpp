// Hostile uploads through the real upload route: a DOCX zip bomb whose entry lies about its size is refused by
// what actually inflates, and the server's memory comes back afterwards; a PDF made to burn CPU (thousands of
// pages sharing one dense content stream) is stopped by the per-file CPU budget with a clear error; and uploads
// being read never hold the HTTP workers that chat needs.
#include <malloc.h>

#include <fstream>
#include <thread>

#include "security/server_fixture.h"
#include "support/documents.h"

namespace parley::security_test {
namespace {

using ::testing::HasSubstr;

// A /proc/self/status figure in MB ("VmRSS", "VmHWM").
double status_mb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024;
  }
  return 0;
}

// Starts the peak (VmHWM) afresh from the current RSS (Linux: clear_refs 5).
void reset_peak() { std::ofstream("/proc/self/clear_refs") << "5"; }

std::string lying_bomb() {
  std::string body;
  const std::string paragraph = parley::testing::docx_paragraph("Our bikes ship worldwide within two business days.");
  body.reserve((60u << 20) + paragraph.size());
  while (body.size() < (60u << 20)) body += paragraph;
  return parley::testing::lie_about_size(parley::testing::make_docx(body), "word/document.xml", 1000);
}

class Uploads : public ServerFixture {
 protected:
  HttpResult upload_file(const std::string& name, const std::string& content_type, const std::string& bytes) {
    auto headers = auth(key_a_);
    headers["Content-Type"] = content_type;
    return HttpClient(server_->port()).request("POST", "/api/v1/bots/" + bot_ + "/sources?name=" + name, bytes, headers);
  }
  std::string bot_;
};

TEST_F(Uploads, AZipBombThatLiesAboutItsSizeIsRefusedAndTheMemoryComesBack) {
  start();
  bot_ = create_bot(key_a_, "Support");
  const std::string bomb = lying_bomb();  // ~60 KB that inflate to 60 MB
  ASSERT_LT(bomb.size(), 1u << 20);
  malloc_trim(0);
  const double before = status_mb("VmRSS");
  reset_peak();
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto refused = upload_file("bomb.docx", "", bomb);
    EXPECT_EQ(refused.status, 422) << refused.body;
    EXPECT_THAT(refused.body, HasSubstr("zip bomb"));
  }
  const double peak = status_mb("VmHWM");
  const double after = status_mb("VmRSS");
  // Inflation stops at 100 times the file's size (8 MB at least): a few tens of MB at the peak, not the 60 MB of
  // text times the parser's and the chunks' copies (over 500 MB before); and it is given back.
  EXPECT_LT(peak - before, 64) << "peak " << peak << " MB, before " << before << " MB";
  EXPECT_LT(after - before, 16) << "after " << after << " MB, before " << before << " MB";
  // A fresh connection: on a loaded machine the uploads may outlast the shared client's keep-alive.
  const auto sources = HttpClient(server_->port()).request("GET", "/api/v1/bots/" + bot_ + "/sources", "", auth(key_a_));
  EXPECT_EQ(sources.json()["sources"][0]["status"], "failed") << sources.body;
  // An ordinary DOCX still goes in.
  const auto fine = upload_file("fine.docx", "", parley::testing::make_docx(parley::testing::docx_paragraph("Bikes ship in two days.")));
  EXPECT_EQ(fine.status, 201) << fine.body;
}

TEST_F(Uploads, APdfThatBurnsCpuIsStoppedByTheBudgetWithAClearError) {
  api_options_.upload_cpu_budget = std::chrono::milliseconds(300);
  start();
  bot_ = create_bot(key_a_, "Support");
  const std::string pdf = parley::testing::make_pdf_sharing_one_stream(4999, 300);
  const auto refused = upload_file("manual.pdf", "application/pdf", pdf);
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_THAT(refused.json()["error"]["message"].get<std::string>(),
              HasSubstr("manual.pdf took more than 0.3 s of CPU time to read and was stopped"));
  // An ordinary PDF is well within the same budget.
  const auto fine = upload_file("guide.pdf", "application/pdf",
                                parley::testing::make_pdf({{{18, "Shipping"}, {11, "Parcels arrive within three days."}}}));
  EXPECT_EQ(fine.status, 201) << fine.body;
}

// With two HTTP workers, three slow uploads would have left none for chat when uploads were read on the workers:
// on the pool, chat is answered while they are still being read.
TEST_F(Uploads, ChatIsAnsweredWhileUploadsAreBeingRead) {
  server_options_.worker_threads = 2;
  api_options_.upload_cpu_budget = std::chrono::milliseconds(400);
  start();
  bot_ = create_bot(key_a_, "Support");
  upload(key_a_, bot_, "help.md", "# Shipping\n\nShipping costs $5 worldwide.\n");  // through the pool too
  const std::string pdf = parley::testing::make_pdf_sharing_one_stream(4999, 300);
  std::vector<std::thread> uploaders;
  for (int u = 0; u < 3; ++u) {
    uploaders.emplace_back([&, u] { upload_file("manual-" + std::to_string(u) + ".pdf", "application/pdf", pdf); });
  }
  while (context_->upload_pool().stats().running < 2) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (int i = 0; i < 5; ++i) {
    const auto reply = chat(bot_, {{"message", "How much is shipping?"}});
    EXPECT_EQ(reply.status, 200) << reply.body;
    EXPECT_THAT(reply.body, HasSubstr("$5"));
  }
  const auto busy = context_->upload_pool().stats();
  EXPECT_EQ(busy.running, 2u);  // the answers did not wait for the uploads
  EXPECT_EQ(busy.queued, 1u);
  for (auto& thread : uploaders) thread.join();
  // A task counts as done just after its response is sent.
  for (int wait = 0; wait < 500 && context_->upload_pool().stats().done < 4; ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(context_->upload_pool().stats().done, 4u);  // help.md and the three manuals
}

}  // namespace
}  // namespace parley::security_test
