// The roofline section of the von Neumann machine's metrics: per op name and phase kind its
// FLOPs, HBM bytes, arithmetic intensity (FLOPs / HBM bytes), the ridge point (peak FLOP/s /
// peak HBM bandwidth), its roofline bound and attainable (min(peak, intensity x bandwidth))
// and achieved FLOP/s. An op with FLOPs but no HBM traffic has an unbounded intensity
// (null), is compute bound and can attain the peak; an op without FLOPs (copies, KV-cache
// writes) has no place on a roofline (bound "none").
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "cimsim/common/json.hpp"
#include "cimsim/trace/op.hpp"

namespace cimsim::vn {

// What the executor accumulates per op name and phase kind.
struct OpStats {
  uint64_t count = 0, flops = 0, hbm_bytes = 0, ps = 0;
  trace::OpKind kind = trace::OpKind::matmul;
  trace::DType dtype = trace::DType::fp16;
};
using OpStatsMap = std::map<std::pair<trace::PhaseKind, std::string>, OpStats>;

// `peak_flops(kind, dtype)`: the op's peak FLOP/s (bound.hpp); `peak_bytes_per_s`: HBM.
Json roofline(const OpStatsMap& stats,
              const std::function<double(trace::OpKind, trace::DType)>& peak_flops,
              double peak_bytes_per_s);

}  // namespace cimsim::vn
