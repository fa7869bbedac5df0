// Kernel mapping: how each trace op becomes GPU-style kernels of thread blocks (CTAs).
//
// - matmul / batched_matmul: CUTLASS-style tiled GEMM with the tile and split-K factor the
//   machine's GEMM heuristic picks (gemm_heuristic.hpp). Split-K adds a reduction kernel over
//   fp32 partials. CTAs are rastered with a swizzle so concurrent CTAs share operand panels
//   in L2. M <= gemv_max_rows runs as a SIMD GEMV kernel.
// - attention (fused): the machine's attention kernel (attention_kernel.hpp; one file per
//   implementation, src/vn/attention_*.cpp).
// - norms, activations, softmax, add/mul, rope, embedding, kv_write, kv_read: streaming row
//   kernels on the vector unit and SFU.
// A CTA's operands are described as contiguous address ranges within their tensors: a 2-D
// tile or panel is mapped to a range of the same size inside the same tensor, so L2 reuse and
// byte counts are exact at tile granularity while DRAM row locality of strided access is not
// modelled. Weights are stored [N, K] (nn.Linear layout), KV caches [batch][kv_head][pos][d].
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cimsim/trace/op.hpp"
#include "cimsim/vn/address_map.hpp"
#include "cimsim/vn/attention_kernel.hpp"
#include "cimsim/vn/config.hpp"
#include "cimsim/vn/fusion.hpp"
#include "cimsim/vn/gemm_heuristic.hpp"

namespace cimsim::vn {

// Bytes of one element (at least 1: sub-byte types are packed per byte in the SRAM model).
inline uint32_t elem_bytes(trace::DType t) {
  return std::max<uint32_t>(1, trace::dtype_bits(t) / 8);
}

// v rounded up to a multiple of g (MMA padding, tile alignment).
inline uint64_t round_up_to(uint64_t v, uint64_t g) {
  return (v + g - 1) / g * g;
}

struct Load {
  uint64_t addr = 0;
  uint64_t bytes = 0;
  uint32_t tensor = 0;
};

// Work of one main-loop step (or of the epilogue) of a CTA.
struct StepWork {
  double tensor_macs = 0;
  double vector_macs = 0;
  double vector_flops = 0;
  double sfu_ops = 0;
  double smem_read = 0;   // bytes compute reads from shared memory
  double smem_write = 0;  // bytes written into shared memory (fills and staging)
};

struct CtaWork {
  uint64_t steps = 1;
  std::vector<Load> loads;   // streamed over the steps, in order
  StepWork step;             // per step
  std::vector<Load> stores;  // written in the epilogue
  StepWork epilogue;
  void clear() {
    steps = 1;
    loads.clear();
    stores.clear();
    step = StepWork{};
    epilogue = StepWork{};
  }
};

struct KernelPlan {
  std::string name;
  uint64_t ctas = 0;
  uint32_t stages = 2;                      // operand buffers per CTA
  uint32_t occupancy = 1;                   // co-resident CTAs per unit
  trace::DType dtype = trace::DType::fp16;  // data type of the MACs
  // The matrix-unit work of a step and its SIMD/SFU work depend on each other (fused
  // attention: S = QK^T, softmax, PV), so a step takes their sum instead of the longer one.
  bool serial_matmul = false;
  std::function<void(uint64_t, CtaWork&)> cta;
};

// Elementwise work per element of a row/elementwise op kind: fp32 FLOPs and SFU ops.
struct ElementCost {
  double flops = 0;
  double sfu = 0;
};
ElementCost element_cost(trace::OpKind kind);

class KernelPlanner {
 public:
  // `where` names the machine config for error messages ("file: machine").
  using Where = std::function<std::string(const std::string& config_path)>;
  KernelPlanner(const MachineConfig& cfg, AddressMap& map, double hbm_bytes_per_s, Where where);
  ~KernelPlanner();
  // The kernels of one op, in order; an InputError if the machine cannot run it.
  std::vector<KernelPlan> plan(const trace::Op& op);
  // The kernels of a group of ops (fusion.hpp): its pattern's, or the single op's.
  std::vector<KernelPlan> plan(const OpGroup& group);
  const AttentionKernel& attention() const { return *attention_; }
  // Peak MAC rate (per unit per cycle) the op's matmuls would use, 0 if none.
  double peak_macs_per_cycle(trace::DType t) const;
  const MachineConfig& config() const { return cfg_; }
  AddressMap& map() { return map_; }
  double hbm_bytes_per_cycle() const { return hbm_bytes_per_cycle_; }

  using BaseFn = std::function<uint64_t(uint64_t)>;  // address per batch index
  // Columns [n0, n0 + n) of B and C kept in their own tensors: a GEMM over concatenated
  // weights (fused Q, K, V projections) writes each band to its own output.
  struct Columns {
    uint64_t n0 = 0, n = 0;
    uint32_t b_tensor = 0, c_tensor = 0;
    BaseFn b_base, c_base;
  };
  struct Gemm {  // one (batched) GEMM C[b] = A[b] x B[b]; B panels are bands of N
    std::string name;
    uint64_t batch = 1, m = 0, n = 0, k = 0;
    trace::DType dtype = trace::DType::fp16;
    uint32_t a_bytes = 2, b_bytes = 2, c_bytes = 2;
    uint32_t a_tensor = 0, b_tensor = 0, c_tensor = 0;
    BaseFn a_base, b_base, c_base;
    std::vector<Columns> columns;  // empty: all of N in b_base / c_base
    // Epilogue work per output element: the accumulate / bias (1 FLOP), plus an activation
    // applied there (fusion "gemm_epilogue").
    ElementCost epilogue{1, 0};
    std::string op_name;
  };
  void plan_gemm(const Gemm& g, std::vector<KernelPlan>& out);
  // The GEMM of a matmul or batched_matmul op (checked: two inputs, an output, a unit).
  Gemm gemm_of(const trace::Op& op);
  // The kernels of an attention op with `fused` ops folded in (the attention kernel's).
  void plan_attention(const trace::Op& op, const AttentionFusion& fused,
                      std::vector<KernelPlan>& out);
  // Where all of `t` lives (the bytes the op names).
  Load whole(const trace::Tensor& t);
  // A streaming kernel: `reads` and `writes` are split evenly over its CTAs, `bcast` is read
  // whole by every CTA; `elements` of work at `cost` each.
  KernelPlan stream_kernel(const std::string& name, const std::vector<Load>& reads,
                           const std::vector<Load>& bcast, const std::vector<Load>& writes,
                           double elements, ElementCost cost) const;

 private:
  void plan_tensor_gemm(const Gemm& g, std::vector<KernelPlan>& out);
  void plan_gemv(const Gemm& g, std::vector<KernelPlan>& out);
  void plan_matmul(const trace::Op& op, std::vector<KernelPlan>& out);
  void plan_rows(const trace::Op& op, std::vector<KernelPlan>& out);
  void plan_kv_copy(const trace::Op& op, std::vector<KernelPlan>& out);
  [[noreturn]] void no_unit(const trace::Op& op, trace::DType t) const;

  const MachineConfig& cfg_;
  AddressMap& map_;
  double hbm_bytes_per_cycle_;
  Where where_;
  double kernel_overhead_cycles_;
  std::unique_ptr<AttentionKernel> attention_;
  std::unique_ptr<GemmHeuristic> gemm_heuristic_;
};

}  // namespace cimsim::vn
