// Progress of long command-line work (adding a folder, a crawl, a model download, a backup): on a terminal a bar
// redrawn in place with counts, rate and time left; otherwise (a log, a pipe) a plain line every few seconds and one
// at the end; nothing at all when quiet. Written to stderr, so stdout stays for results (--json).
//
// And Ctrl-C: an Interruption turns the first SIGINT into a request to stop that long work checks between steps (so
// it can stop cleanly and say what was kept); a second Ctrl-C ends the process at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

namespace parley {

enum class ProgressStyle { bar, lines, quiet };

// bar on a terminal, lines otherwise, quiet when asked.
ProgressStyle progress_style_for(std::FILE* stream, bool quiet);

class Progress {
 public:
  // `label` names the work ("backup"), `unit` what is counted ("MB", "files", "pages"). A total of 0 is unknown
  // (no bar, no time left). Non-terminal lines come every `line_interval` (PARLEY_PROGRESS_INTERVAL_MS overrides).
  Progress(std::string label, std::string unit, double total, ProgressStyle style, std::FILE* out = stderr,
           std::chrono::milliseconds line_interval = std::chrono::seconds(5));
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void set_total(double total);
  // `done` so far (in the unit); `detail` is shown after the figures (the current file or URL). Cheap to call often:
  // output is throttled.
  void update(double done, std::string_view detail = {});
  // Ends the bar with a final line: `summary`, or the figures when empty.
  void finish(std::string_view summary = {});
  // Blanks the bar so that other output starts on a clean line (the next update draws it again).
  void clear();
  bool is_bar() const { return style_ == ProgressStyle::bar; }

  // The figures as shown: "412/1,024 MB  85.3 MB/s  ETA 7s".
  std::string figures(double done, std::chrono::steady_clock::time_point now) const;

 private:
  void draw(double done, std::string_view detail, std::chrono::steady_clock::time_point now);

  std::string label_;
  std::string unit_;
  double total_;
  ProgressStyle style_;
  std::FILE* out_;
  std::chrono::milliseconds line_interval_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_output_{};
  double done_ = 0;
  bool finished_ = false;
  std::size_t drawn_width_ = 0;
};

// While it lives, the first SIGINT sets requested() instead of ending the process; a second one ends it.
class Interruption {
 public:
  Interruption();
  ~Interruption();
  Interruption(const Interruption&) = delete;
  Interruption& operator=(const Interruption&) = delete;
  static bool requested();
};

}  // namespace parley
