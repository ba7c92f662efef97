#include "common/progress.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace parley {
namespace {

constexpr auto kRedrawInterval = std::chrono::milliseconds(100);
constexpr int kBarWidth = 24;

std::atomic<bool> interrupt_requested{false};
struct sigaction previous_action {};

void on_interrupt(int) {
  interrupt_requested.store(true);
  // The next Ctrl-C is not caught: whoever presses it twice wants out now.
  signal(SIGINT, SIG_DFL);
}

// 1234567 -> "1,234,567"; fractions below 100 keep one decimal.
std::string format_count(double value) {
  if (value < 100 && value != std::floor(value)) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f", value);
    return buffer;
  }
  std::string digits = std::to_string(static_cast<long long>(std::llround(value)));
  for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) digits.insert(static_cast<std::size_t>(at), ",");
  return digits;
}

std::string format_duration(double seconds) {
  const long long whole = std::llround(std::max(0.0, seconds));
  char buffer[32];
  if (whole >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%lldh%02lldm", whole / 3600, whole % 3600 / 60);
  } else if (whole >= 60) {
    std::snprintf(buffer, sizeof buffer, "%lldm%02llds", whole / 60, whole % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%llds", whole);
  }
  return buffer;
}

}  // namespace

ProgressStyle progress_style_for(std::FILE* stream, bool quiet) {
  if (quiet) return ProgressStyle::quiet;
  return ::isatty(::fileno(stream)) ? ProgressStyle::bar : ProgressStyle::lines;
}

Progress::Progress(std::string label, std::string unit, double total, ProgressStyle style, std::FILE* out,
                   std::chrono::milliseconds line_interval)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      style_(style),
      out_(out),
      line_interval_(line_interval),
      started_(std::chrono::steady_clock::now()) {
  if (const char* interval = std::getenv("PARLEY_PROGRESS_INTERVAL_MS")) {
    line_interval_ = std::chrono::milliseconds(std::max(1L, std::strtol(interval, nullptr, 10)));
  }
  last_output_ = started_;
}

Progress::~Progress() {
  // A bar left mid-line (an error ended the work) gets its line ended, so the error starts on a line of its own.
  if (style_ == ProgressStyle::bar && drawn_width_ > 0 && !finished_) std::fputc('\n', out_);
}

void Progress::set_total(double total) { total_ = total; }

std::string Progress::figures(double done, std::chrono::steady_clock::time_point now) const {
  const double elapsed = std::chrono::duration<double>(now - started_).count();
  std::string text = format_count(done);
  if (total_ > 0) text += "/" + format_count(total_);
  text += " " + unit_;
  if (elapsed > 0.2 && done > 0) {
    const double rate = done / elapsed;
    text += "  " + format_count(rate) + " " + unit_ + "/s";
    if (total_ > 0 && done < total_) text += "  ETA " + format_duration((total_ - done) / rate);
  }
  return text;
}

void Progress::update(double done, std::string_view detail) {
  done_ = done;
  if (style_ == ProgressStyle::quiet || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  const auto interval = style_ == ProgressStyle::bar ? kRedrawInterval : line_interval_;
  if (now - last_output_ < interval) return;
  draw(done, detail, now);
}

void Progress::draw(double done, std::string_view detail, std::chrono::steady_clock::time_point now) {
  last_output_ = now;
  std::string line = label_ + "  ";
  if (style_ == ProgressStyle::bar && total_ > 0) {
    const int filled = static_cast<int>(std::clamp(done / total_, 0.0, 1.0) * kBarWidth);
    line += "[" + std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(kBarWidth - filled), '-') + "]  ";
  }
  line += figures(done, now);
  if (!detail.empty()) line += "  " + std::string(detail.substr(0, 60));
  if (style_ == ProgressStyle::bar) {
    // Redrawn in place; a shorter line blanks what the longer one left.
    const std::size_t width = line.size();
    if (width < drawn_width_) line += std::string(drawn_width_ - width, ' ');
    drawn_width_ = width;
    std::fprintf(out_, "\r%s", line.c_str());
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

void Progress::clear() {
  if (style_ != ProgressStyle::bar || drawn_width_ == 0) return;
  std::fprintf(out_, "\r%s\r", std::string(drawn_width_, ' ').c_str());
  std::fflush(out_);
  drawn_width_ = 0;
  last_output_ = {};  // redraw at the next update
}

void Progress::finish(std::string_view summary) {
  if (finished_) return;
  finished_ = true;
  if (style_ == ProgressStyle::quiet) return;
  const auto now = std::chrono::steady_clock::now();
  std::string line = label_ + "  " + (summary.empty() ? figures(done_, now) : std::string(summary)) + " in " +
                     format_duration(std::chrono::duration<double>(now - started_).count());
  if (style_ == ProgressStyle::bar) {
    if (line.size() < drawn_width_) line += std::string(drawn_width_ - line.size(), ' ');
    std::fprintf(out_, "\r%s\n", line.c_str());
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

Interruption::Interruption() {
  interrupt_requested.store(false);
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous_action);
}

Interruption::~Interruption() { sigaction(SIGINT, &previous_action, nullptr); }

bool Interruption::requested() { return interrupt_requested.load(); }

}  // namespace parley
