#include "cimsim/memory/stats.hpp"

#include <algorithm>

namespace cimsim::memory {

const char* command_name(Command c) {
  switch (c) {
    case Command::kAct:
      return "ACT";
    case Command::kPre:
      return "PRE";
    case Command::kPreA:
      return "PREA";
    case Command::kRd:
      return "RD";
    case Command::kRdA:
      return "RDA";
    case Command::kWr:
      return "WR";
    case Command::kWrA:
      return "WRA";
    case Command::kRefAb:
      return "REFab";
    case Command::kRefPb:
      return "REFpb";
  }
  return "?";
}

void LatencyHistogram::add_rare(uint64_t cycles) {
  if (cycles < kExactLimit) {
    // Never beyond kExactLimit: add() counts every latency below exact_.size() there.
    exact_.resize(std::min<size_t>(kExactLimit, std::max<size_t>(cycles + 1, exact_.size() * 2)),
                  0);
    ++exact_[cycles];
  } else {
    ++log2_[63 - __builtin_clzll(cycles)];
  }
}

void LatencyHistogram::merge(const LatencyHistogram& o) {
  if (o.exact_.size() > exact_.size()) {
    exact_.resize(o.exact_.size(), 0);
  }
  for (size_t i = 0; i < o.exact_.size(); ++i) {
    exact_[i] += o.exact_[i];
  }
  for (size_t i = 0; i < log2_.size(); ++i) {
    log2_[i] += o.log2_[i];
  }
  count_ += o.count_;
  sum_ += o.sum_;
  max_ = std::max(max_, o.max_);
}

uint64_t LatencyHistogram::percentile(double q) const {
  if (count_ == 0) {
    return 0;
  }
  // The rank of the sample that is the q-quantile (nearest-rank definition).
  uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_));
  if (static_cast<double>(rank) < q * static_cast<double>(count_)) {
    ++rank;
  }
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < exact_.size(); ++i) {
    seen += exact_[i];
    if (seen >= rank) {
      return i;
    }
  }
  for (size_t i = 0; i < log2_.size(); ++i) {
    seen += log2_[i];
    // Beyond the exact range report the bucket's upper edge (never below the true value).
    if (seen >= rank) {
      return std::min(max_, (uint64_t{2} << i) - 1);
    }
  }
  return max_;
}

double MemoryStats::row_hit_rate() const {
  uint64_t col = read_bursts + write_bursts;
  return col == 0 ? 0.0 : static_cast<double>(row_hits) / static_cast<double>(col);
}

}  // namespace cimsim::memory
