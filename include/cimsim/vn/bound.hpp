// What limited an op on the von Neumann machine, from its own counts: compute (its FLOPs at
// the peak rate of the unit it runs on take longer than its HBM bytes at peak bandwidth),
// memory (the other way round), or latency (neither reaches half the op's time: launch
// overhead or too little parallelism). The peak FLOP rate of an op is the matrix unit's (or
// the SIMD unit's, for a type without one) for matmuls and attention, the fp32 vector rate
// for everything else.
#pragma once

#include <cstdint>
#include <string>

#include "cimsim/trace/op.hpp"
#include "cimsim/vn/config.hpp"

namespace cimsim::vn {

class KernelPlanner;

// Peak FLOP/s for an op of `kind` whose operands are `dtype` (planner: nullptr before start).
double op_peak_flops_per_s(trace::OpKind kind, trace::DType dtype, const KernelPlanner* planner,
                           const MachineConfig& cfg);

// "compute", "memory" or "latency".
std::string classify_bound(double flops, double peak_flops_per_s, double hbm_bytes,
                           double peak_bytes_per_s, double seconds);

}  // namespace cimsim::vn
