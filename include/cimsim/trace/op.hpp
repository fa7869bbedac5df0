// The operation trace: what a Transformer workload asks of a machine, independent of any
// machine. Lowering (src/workload) produces it; both machines (src/vn, src/cim) execute it;
// it can be written to and read from JSON Lines (trace/trace_io.hpp, docs/trace-format.md).
//
// Conventions:
// - Ops execute in trace order. Data dependencies are explicit through tensor ids: an
//   activation an op reads was written by an earlier op of the same phase (or is the phase's
//   input "tokens"); weights and KV caches are declared in the header. A machine may overlap
//   ops whose tensors do not depend on each other.
// - Weight tensor ids are stable across phases and steps ("L3.attn.q"), so a CIM mapper
//   places each weight once. KV cache ids are per layer ("L3.kv.k", "L3.kv.v").
// - FLOPs count useful work: 2 per multiply-accumulate; causal attention counts only the
//   unmasked query-key pairs. Per-kind formulas are in docs/trace-format.md.
// - `bytes` of a tensor reference is what this op reads or writes of it (a decode-step
//   attention reads kv_len rows of the cache, not its allocated size).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cimsim/common/enum_names.hpp"

namespace cimsim::trace {

// int32 is the type of token ids (the "tokens" input of each phase), not of model tensors.
enum class DType : uint8_t { fp32, fp16, bf16, fp8, int8, int4, int32 };
uint32_t dtype_bits(DType t);
// Bytes of `elements` values, rounded up to whole bytes; overflow is an InputError.
uint64_t dtype_bytes(DType t, uint64_t elements);
// Elements of a tensor of `shape` (1 for a scalar); overflow is an OverflowError.
uint64_t shape_elements(const std::vector<uint64_t>& shape);

enum class TensorKind : uint8_t { weight, activation, kv_cache };

enum class OpKind : uint8_t {
  embedding,       // rows of a weight table gathered by token id (plus learned positions)
  matmul,          // out[m,n] = in[m,k] x W[k,n] (+ bias); W is a weight (the LM head too)
  batched_matmul,  // out[b][m,n] = A[b][m,k] x B[b][k,n], both operands dynamic
  attention,       // fused softmax(Q K^T / sqrt(head_dim) [causal mask]) V for every head
  softmax,         // row-wise over rows x cols
  layernorm,       // row-wise, with gamma and beta weights
  rmsnorm,         // row-wise, with a gamma weight
  gelu,
  silu,
  relu,
  add,       // elementwise, two inputs (residual)
  mul,       // elementwise, two inputs (SwiGLU gate)
  rope,      // rotary position embedding applied to Q and K
  kv_write,  // append new K/V rows to a layer's cache
  kv_read,   // gather a layer's cache into a contiguous activation (split attention)
  // Mixture of experts (format version 2). moe_route: softmax over the router logits, top-k
  // experts per token, their weights renormalised, and each expert's tokens gathered into a
  // contiguous input (one output per expert that received tokens). moe_combine: every token's
  // expert outputs scaled by its routing weights and summed back into token order.
  moe_route,
  moe_combine,
};

enum class PhaseKind : uint8_t { prefill, decode, encode, entp };

// A matmul's role under Megatron-LM tensor parallelism (Shoeybi et al., arXiv 1909.08053),
// format version 3. The trace stays machine-independent: it describes the whole model, and
// this only says how a machine that splits the model over T devices would split the op.
//   column: the output columns (and the weight's [k, n] columns, and a bias) split T ways:
//           each rank computes n / T columns of every row from the whole input (q, k, v,
//           gate, up, MoE expert gate/up, the LM head);
//   row:    the inner dimension split T ways: each rank reads its k / T slice of the input
//           (the output of a column op) and writes a partial sum of the whole output, which
//           an all-reduce completes (attention output o, down, MoE expert down);
//   none:   replicated on every rank (embedding, norms, router, everything else).
// A weight declaration carries the role of the matmuls that read it (a tied embedding, read
// whole by the embedding, is none although the LM head reading it is column).
enum class TpRole : uint8_t { none, column, row };

// prefill and encode have step 0; decode steps are 1..G-1 (the prefill yields the first of
// G generated tokens); ENTP steps are 1..G, one full pass per generated token.
struct Phase {
  PhaseKind kind = PhaseKind::prefill;
  uint32_t step = 0;
  bool operator==(const Phase& o) const { return kind == o.kind && step == o.step; }
  bool operator!=(const Phase& o) const { return !(*this == o); }
};
std::string phase_label(const Phase& p);  // "prefill", "decode.3", "entp.17", "encode"

struct Tensor {
  std::string id;
  TensorKind kind = TensorKind::activation;
  DType dtype = DType::fp16;
  std::vector<uint64_t> shape;
  uint64_t bytes = 0;  // bytes this op reads or writes of the tensor
  bool operator==(const Tensor& o) const;
};

// matmul and batched_matmul: out[batch][m,n] = A[batch][m,k] x B[batch][k,n].
struct MatmulShape {
  uint64_t batch = 1, m = 0, n = 0, k = 0;
  bool operator==(const MatmulShape& o) const;
};

// attention, kv_write and kv_read. `batch` sequences, each with q_len new query positions
// that are the last q_len of kv_len key positions (causal: query i sees keys up to its own
// position). For kv_write, q_len rows are appended and kv_len is the length after the write;
// for kv_read, the rows [first_key(), kv_len) are gathered.
//
// window (sliding-window attention, Mistral; causal only): a query at position p sees the
// keys p - window + 1 .. p; 0 means no window. Keys before first_key() are read by no query of
// the op, so a machine neither reads nor computes them.
struct AttentionShape {
  uint64_t batch = 0, heads = 0, kv_heads = 0, head_dim = 0, q_len = 0, kv_len = 0;
  bool causal = false;
  uint64_t window = 0;
  bool operator==(const AttentionShape& o) const;
  // Query-key pairs that are computed (unmasked), per sequence and head.
  uint64_t pairs() const;
  // The first key position any query of the op sees, and the keys from there to kv_len.
  uint64_t first_key() const;
  uint64_t keys() const { return kv_len - first_key(); }
};

// Row-wise and elementwise ops: rows x cols elements (softmax/norms reduce along cols).
struct RowShape {
  uint64_t rows = 0, cols = 0;
  bool operator==(const RowShape& o) const;
};

struct Op {
  uint64_t id = 0;  // position in the trace, from 0
  OpKind kind = OpKind::matmul;
  std::string name;    // unique within a phase, stable across phases: "L3.attn.q"
  int32_t layer = -1;  // -1 before the first block; n_layers for the final norm/LM head
  Phase phase;
  uint64_t flops = 0;
  std::vector<Tensor> inputs;
  std::vector<Tensor> outputs;
  MatmulShape mm;            // matmul, batched_matmul
  AttentionShape attn;       // attention, kv_write, kv_read
  RowShape rows;             // embedding, softmax, norms, activations, add, mul, rope
  TpRole tp = TpRole::none;  // matmul only: its tensor-parallel role

  bool operator==(const Op& o) const;
  uint64_t bytes_read() const;
  uint64_t bytes_written() const;
  // The weight operand of a matmul/embedding/norm, or nullptr.
  const Tensor* weight() const;
};

}  // namespace cimsim::trace

namespace cimsim::config {
template <>
struct EnumNames<trace::DType> {
  static const std::vector<std::pair<trace::DType, const char*>>& names();
};
template <>
struct EnumNames<trace::TensorKind> {
  static const std::vector<std::pair<trace::TensorKind, const char*>>& names();
};
template <>
struct EnumNames<trace::OpKind> {
  static const std::vector<std::pair<trace::OpKind, const char*>>& names();
};
template <>
struct EnumNames<trace::PhaseKind> {
  static const std::vector<std::pair<trace::PhaseKind, const char*>>& names();
};
template <>
struct EnumNames<trace::TpRole> {
  static const std::vector<std::pair<trace::TpRole, const char*>>& names();
};
}  // namespace cimsim::config
