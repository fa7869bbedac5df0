#include "progress.hpp"

#include <cstdio>

namespace cimsim::cli {

ProgressBar::ProgressBar(std::ostream& err, uint64_t total, bool enabled)
    : err_(err),
      total_(total),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  finish();
}

void ProgressBar::advance() {
  ++done_;
  if (!enabled_ || (done_ & 255) != 0) return;
  auto now = std::chrono::steady_clock::now();
  if (now - start_ < std::chrono::seconds(1)) return;
  if (now - last_draw_ < std::chrono::milliseconds(200)) return;
  draw(now);
}

void ProgressBar::draw(std::chrono::steady_clock::time_point now) {
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0;
  double fraction = total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 0;
  double eta = rate > 0 && total_ > done_ ? static_cast<double>(total_ - done_) / rate : 0;
  const int width = 30;
  int filled = static_cast<int>(fraction * width + 0.5);
  std::string bar(static_cast<size_t>(filled > width ? width : filled), '#');
  bar.resize(width, '.');
  char line[160];
  std::snprintf(line, sizeof line, "\r[%s] %5.1f%%  %llu/%llu ops  %.3g ops/s  ETA %.0f s   ",
                bar.c_str(), 100.0 * fraction, static_cast<unsigned long long>(done_),
                static_cast<unsigned long long>(total_), rate, eta);
  err_ << line << std::flush;
  drawn_ = true;
}

void ProgressBar::finish() {
  if (drawn_) err_ << "\r" << std::string(100, ' ') << "\r" << std::flush;
  drawn_ = false;
}

}  // namespace cimsim::cli
