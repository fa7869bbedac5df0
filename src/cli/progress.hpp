// A progress line on stderr for long runs: ops done, rate and time left. Shown only when
// stderr is a terminal, not with --quiet, and only once a run has taken about a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace cimsim::cli {

class ProgressBar {
 public:
  // `total` is the number of ops to execute over all machines.
  ProgressBar(std::ostream& err, uint64_t total, bool enabled);
  ~ProgressBar();
  void advance();  // one more op done (cheap: checks the clock every 256 calls)
  void finish();   // erases the line

 private:
  void draw(std::chrono::steady_clock::time_point now);
  std::ostream& err_;
  uint64_t total_;
  uint64_t done_ = 0;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace cimsim::cli
