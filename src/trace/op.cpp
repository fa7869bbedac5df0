#include "cimsim/trace/op.hpp"

#include <algorithm>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/trace/source.hpp"

namespace cimsim::trace {

uint32_t dtype_bits(DType t) {
  switch (t) {
    case DType::fp32:
    case DType::int32:
      return 32;
    case DType::fp16:
    case DType::bf16:
      return 16;
    case DType::fp8:
    case DType::int8:
      return 8;
    case DType::int4:
      return 4;
  }
  return 0;
}

uint64_t dtype_bytes(DType t, uint64_t elements) {
  return ceil_div(checked_mul(elements, dtype_bits(t), "tensor size in bits"), 8);
}

uint64_t shape_elements(const std::vector<uint64_t>& shape) {
  uint64_t n = 1;
  for (uint64_t s : shape) {
    n = checked_mul(n, s, "tensor elements");
  }
  return n;
}

std::string phase_label(const Phase& p) {
  std::string label = config::enum_name(p.kind);
  if (p.kind == PhaseKind::decode || p.kind == PhaseKind::entp)
    label += "." + std::to_string(p.step);
  return label;
}

bool Tensor::operator==(const Tensor& o) const {
  return id == o.id && kind == o.kind && dtype == o.dtype && shape == o.shape && bytes == o.bytes;
}
bool MatmulShape::operator==(const MatmulShape& o) const {
  return batch == o.batch && m == o.m && n == o.n && k == o.k;
}
bool AttentionShape::operator==(const AttentionShape& o) const {
  return batch == o.batch && heads == o.heads && kv_heads == o.kv_heads && head_dim == o.head_dim &&
         q_len == o.q_len && kv_len == o.kv_len && causal == o.causal && window == o.window;
}
bool RowShape::operator==(const RowShape& o) const {
  return rows == o.rows && cols == o.cols;
}

uint64_t AttentionShape::pairs() const {
  if (!causal) return checked_mul(q_len, kv_len, "attention pairs");
  // Query i (0-based) of the last q_len positions sees a + i keys, a = kv_len - q_len + 1,
  // at most `window` of them: the first n queries below the cap, the rest window each.
  const uint64_t a = kv_len - q_len + 1;
  uint64_t n = q_len;
  if (window > 0) n = window < a ? 0 : std::min(q_len, window - a + 1);
  uint64_t below =
      checked_add(checked_mul(n, a, "attention pairs"),
                  checked_mul(n, n - (n > 0 ? 1 : 0), "attention pairs") / 2, "attention pairs");
  return checked_add(below, checked_mul(q_len - n, window, "attention pairs"), "attention pairs");
}

uint64_t AttentionShape::first_key() const {
  // The first query (position kv_len - q_len) reaches back furthest.
  if (!causal || window == 0 || q_len > kv_len || kv_len - q_len + 1 <= window) return 0;
  return kv_len - q_len + 1 - window;
}

bool Op::operator==(const Op& o) const {
  return id == o.id && kind == o.kind && name == o.name && layer == o.layer && phase == o.phase &&
         flops == o.flops && inputs == o.inputs && outputs == o.outputs && mm == o.mm &&
         attn == o.attn && rows == o.rows && tp == o.tp;
}

uint64_t Op::bytes_read() const {
  uint64_t total = 0;
  for (const auto& t : inputs) total = checked_add(total, t.bytes, "op bytes");
  return total;
}

uint64_t Op::bytes_written() const {
  uint64_t total = 0;
  for (const auto& t : outputs) total = checked_add(total, t.bytes, "op bytes");
  return total;
}

const Tensor* Op::weight() const {
  for (const auto& t : inputs) {
    if (t.kind == TensorKind::weight) return &t;
  }
  return nullptr;
}

bool TensorDecl::operator==(const TensorDecl& o) const {
  return id == o.id && kind == o.kind && dtype == o.dtype && shape == o.shape && bytes == o.bytes &&
         layer == o.layer && tp == o.tp;
}

bool TraceHeader::operator==(const TraceHeader& o) const {
  return format_version == o.format_version && model == o.model && mode == o.mode &&
         batch == o.batch && prompt == o.prompt && generate == o.generate && layers == o.layers &&
         workload == o.workload && weights == o.weights && kv_caches == o.kv_caches &&
         op_count == o.op_count;
}

}  // namespace cimsim::trace

namespace cimsim::config {
using namespace cimsim::trace;

const std::vector<std::pair<DType, const char*>>& EnumNames<DType>::names() {
  static const std::vector<std::pair<DType, const char*>> n = {
      {DType::fp32, "fp32"}, {DType::fp16, "fp16"}, {DType::bf16, "bf16"},  {DType::fp8, "fp8"},
      {DType::int8, "int8"}, {DType::int4, "int4"}, {DType::int32, "int32"}};
  return n;
}
const std::vector<std::pair<TensorKind, const char*>>& EnumNames<TensorKind>::names() {
  static const std::vector<std::pair<TensorKind, const char*>> n = {
      {TensorKind::weight, "weight"},
      {TensorKind::activation, "activation"},
      {TensorKind::kv_cache, "kv_cache"}};
  return n;
}
const std::vector<std::pair<OpKind, const char*>>& EnumNames<OpKind>::names() {
  static const std::vector<std::pair<OpKind, const char*>> n = {
      {OpKind::embedding, "embedding"},
      {OpKind::matmul, "matmul"},
      {OpKind::batched_matmul, "batched_matmul"},
      {OpKind::attention, "attention"},
      {OpKind::softmax, "softmax"},
      {OpKind::layernorm, "layernorm"},
      {OpKind::rmsnorm, "rmsnorm"},
      {OpKind::gelu, "gelu"},
      {OpKind::silu, "silu"},
      {OpKind::relu, "relu"},
      {OpKind::add, "add"},
      {OpKind::mul, "mul"},
      {OpKind::rope, "rope"},
      {OpKind::kv_write, "kv_write"},
      {OpKind::kv_read, "kv_read"},
      {OpKind::moe_route, "moe_route"},
      {OpKind::moe_combine, "moe_combine"}};
  return n;
}
const std::vector<std::pair<PhaseKind, const char*>>& EnumNames<PhaseKind>::names() {
  static const std::vector<std::pair<PhaseKind, const char*>> n = {{PhaseKind::prefill, "prefill"},
                                                                   {PhaseKind::decode, "decode"},
                                                                   {PhaseKind::encode, "encode"},
                                                                   {PhaseKind::entp, "entp"}};
  return n;
}
const std::vector<std::pair<TpRole, const char*>>& EnumNames<TpRole>::names() {
  static const std::vector<std::pair<TpRole, const char*>> n = {
      {TpRole::none, "none"}, {TpRole::column, "column"}, {TpRole::row, "row"}};
  return n;
}

}  // namespace cimsim::config
