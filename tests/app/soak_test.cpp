// The soak (make test-slow): the real server under steady mixed traffic for PARLEY_SOAK_MINUTES (default 30) —
// JSON and streamed chat turns in new and continued conversations, uploads replacing a document, metrics scrapes,
// the admin API — with its resident memory and open files sampled every 30 s. After a warm-up (a sixth of the run)
// neither may grow by more than 5 %.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/chat_load.h"
#include "support/config_file.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace parley {
namespace {

struct Sample {
  double minute = 0;
  double rss_mb = 0;
  int open_files = 0;
};

Sample sample(pid_t pid, double minute) {
  Sample out{minute};
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) out.rss_mb = std::stod(line.substr(6)) / 1024.0;
  }
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    (void)entry;
    ++out.open_files;
  }
  return out;
}

TEST(Soak, MemoryAndOpenFilesStayFlatUnderSteadyTraffic) {
  const char* minutes_text = std::getenv("PARLEY_SOAK_MINUTES");
  const double minutes = minutes_text != nullptr ? std::stod(minutes_text) : 30.0;
  testing::TempDir dir;
  const std::string data = dir.file("data");
  const auto init = testing::run_process({PARLEY_BINARY, "--data", data, "init", "--demo", "--json"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const auto ids = nlohmann::json::parse(init.out);
  const std::string bot = ids["demo_bot_id"], key = ids["api_key"];
  for (const char* limit : {"per_ip_rate", "per_bot_rate", "per_visitor_rate", "per_key_rate"}) {
    testing::set_config(data, "limits", limit, "0");
  }
  std::unique_ptr<testing::BackgroundProcess> server;
  const unsigned short port = testing::serve_parley(server, PARLEY_BINARY, data);
  ASSERT_NE(port, 0) << "parley serve did not start";

  std::atomic<bool> stop{false};
  std::atomic<long> turns{0}, failures{0};
  // Which request failed with which status, so that a failed soak says what went wrong.
  std::mutex failed_mutex;
  std::map<std::string, long> failed_by;
  const auto failed = [&](const std::string& what, int status) {
    ++failures;
    std::lock_guard lock(failed_mutex);
    ++failed_by[what + " " + std::to_string(status)];
  };
  const std::map<std::string, std::string> json = {{"Content-Type", "application/json"}};
  const std::map<std::string, std::string> admin = {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}};
  std::vector<std::thread> clients;
  // Chat: new conversations, and conversations continued until their length cap is near.
  for (int c = 0; c < 2; ++c) {
    clients.emplace_back([&, c] {
      const char* questions[] = {"How much is shipping?", "When is the Seattle store open?", "Can I pay in monthly installments?"};
      testing::HttpClient client(port);
      std::string token;
      int in_conversation = 0;
      for (long i = 0; !stop; ++i) {
        nlohmann::json body = {{"message", questions[i % 3]}};
        if (c == 1 && !token.empty() && in_conversation < 40) body["visitor_token"] = token;
        const bool stream = i % 4 == 0;
        auto headers = json;
        if (stream) headers["Accept"] = "text/event-stream";
        const auto reply = client.request("POST", "/api/v1/bots/" + bot + "/chat", body.dump(), headers);
        if (reply.status != 200) {
          failed("chat", reply.status);
          continue;
        }
        ++turns;
        if (!stream) {
          const auto answer = reply.json();
          in_conversation = body.contains("visitor_token") ? in_conversation + 2 : 2;
          token = answer.value("visitor_token", "");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
  }
  // The admin side: a document replaced now and then, conversations listed, metrics scraped.
  clients.emplace_back([&] {
    testing::HttpClient client(port);
    for (long i = 0; !stop; ++i) {
      const std::string body = "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notice.md\"\r\n\r\n# Notice\n\n"
                               "This week's notice number " + std::to_string(i) + ": the Seattle store opens late.\r\n--B--\r\n";
      auto headers = admin;
      headers["Content-Type"] = "multipart/form-data; boundary=B";
      if (const int status = client.request("POST", "/api/v1/bots/" + bot + "/sources", body, headers).status; status != 201) {
        failed("upload", status);
      }
      if (const int status = client.request("GET", "/api/v1/bots/" + bot + "/conversations?limit=20", "", admin).status;
          status != 200) {
        failed("conversations", status);
      }
      if (const int status = client.request("GET", "/metrics").status; status != 200) failed("metrics", status);
      for (int wait = 0; wait < 20 && !stop; ++wait) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  std::vector<Sample> samples;
  const auto started = std::chrono::steady_clock::now();
  const auto elapsed_minutes = [&] {
    return std::chrono::duration<double, std::ratio<60>>(std::chrono::steady_clock::now() - started).count();
  };
  while (elapsed_minutes() < minutes) {
    std::this_thread::sleep_for(std::chrono::seconds(minutes < 3 ? 5 : 30));
    samples.push_back(sample(server->pid(), elapsed_minutes()));
    const auto& last = samples.back();
    std::printf("soak %6.2f min: RSS %.1f MB, %d open files, %ld turns, %ld failures\n", last.minute, last.rss_mb,
                last.open_files, turns.load(), failures.load());
    std::fflush(stdout);
  }
  stop = true;
  for (auto& client : clients) client.join();
  EXPECT_EQ(server->stop(SIGTERM), 0);

  ASSERT_GE(samples.size(), 6u);
  EXPECT_GT(turns.load(), static_cast<long>(minutes * 60));  // at least one answered turn a second
  std::string failed_text;
  for (const auto& [what, count] : failed_by) failed_text += " " + what + ": " + std::to_string(count);
  EXPECT_EQ(failures.load(), 0) << "failed requests (request, status: count):" << failed_text;
  // After the warm-up (caches filled, pools at their size): the baseline is the largest figure of the sixth of the
  // run after the warm-up; the end is the mean of the last three samples.
  const std::size_t warm = samples.size() / 6;
  Sample baseline{};
  for (std::size_t i = warm; i < warm + std::max<std::size_t>(1, samples.size() / 6); ++i) {
    baseline.rss_mb = std::max(baseline.rss_mb, samples[i].rss_mb);
    baseline.open_files = std::max(baseline.open_files, samples[i].open_files);
  }
  double end_rss = 0, end_files = 0;
  for (std::size_t i = samples.size() - 3; i < samples.size(); ++i) {
    end_rss += samples[i].rss_mb / 3;
    end_files += samples[i].open_files / 3.0;
  }
  std::printf("soak result: RSS %.1f -> %.1f MB (%+.1f%%), open files %d -> %.1f\n", baseline.rss_mb, end_rss,
              100 * (end_rss / baseline.rss_mb - 1), baseline.open_files, end_files);
  EXPECT_LE(end_rss, 1.05 * baseline.rss_mb);
  EXPECT_LE(end_files, std::ceil(1.05 * baseline.open_files));
}

}  // namespace
}  // namespace parley
