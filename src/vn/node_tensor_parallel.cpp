// One rank's share of every op under Megatron-LM tensor parallelism (tensor_parallel.hpp).
#include <algorithm>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/common/error.hpp"
#include "cimsim/vn/tensor_parallel.hpp"

namespace cimsim::vn {

using trace::Op;
using trace::OpKind;
using trace::Tensor;
using trace::TensorKind;
using trace::TpRole;

namespace {

// a x num / den, rounded up (a byte count of a share of a tensor).
uint64_t scale_up(uint64_t a, uint64_t num, uint64_t den) {
  if (den == 0) {
    return a;
  }
  const __uint128_t p = static_cast<__uint128_t>(a) * num;
  return static_cast<uint64_t>((p + den - 1) / den);
}

// The tensor's shape becomes `shape`; what the op moves of it shrinks in proportion.
void reshape(Tensor& t, std::vector<uint64_t> shape) {
  t.bytes = scale_up(t.bytes, trace::shape_elements(shape), trace::shape_elements(t.shape));
  t.shape = std::move(shape);
}

bool is_elementwise(OpKind k) {
  return k == OpKind::gelu || k == OpKind::silu || k == OpKind::relu || k == OpKind::add ||
         k == OpKind::mul || k == OpKind::softmax || k == OpKind::rope;
}

uint64_t u64_of(const Json& model, const char* key) {
  auto it = model.find(key);
  return it != model.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

}  // namespace

TensorParallel::TensorParallel(uint32_t ranks, std::string where)
    : ranks_(ranks), where_(std::move(where)) {}

void TensorParallel::fail(const std::string& what) const {
  throw InputError(where_, what);
}

void TensorParallel::learn_geometry(const trace::TraceHeader& h) {
  static const Json kEmpty = Json::object();
  auto it = h.workload.find("model");
  const Json& m = it != h.workload.end() && it->is_object() ? *it : kEmpty;
  heads_ = u64_of(m, "heads");
  kv_heads_ = u64_of(m, "kv_heads");
  head_dim_ = u64_of(m, "head_dim");
  if (heads_ == 0 || kv_heads_ == 0 || head_dim_ == 0) {
    fail("tensor_parallel = " + std::to_string(ranks_) +
         " needs the model's heads, kv_heads and head_dim in the trace header's "
         "workload.model (a trace lowered by cimsim has them)");
  }
  if (heads_ % ranks_ != 0) {
    fail("expected a divisor of the model's " + std::to_string(heads_) +
         " attention heads (each rank keeps heads / tensor_parallel of them), got " +
         std::to_string(ranks_));
  }
  heads_r_ = heads_ / ranks_;
  if (kv_heads_ >= ranks_ ? kv_heads_ % ranks_ != 0 : ranks_ % kv_heads_ != 0) {
    fail("expected a divisor or a multiple of the model's " + std::to_string(kv_heads_) +
         " key/value heads (ranks split them, or each keeps one of them replicated), got " +
         std::to_string(ranks_));
  }
  kv_heads_r_ = kv_heads_ >= ranks_ ? kv_heads_ / ranks_ : 1;
}

void TensorParallel::learn_kv_weights(const std::deque<Op>& first_phase) {
  // A column matmul whose output is read as keys or values projects keys or values.
  std::unordered_map<std::string, const Op*> producer;
  for (const Op& op : first_phase) {
    if (op.kind == OpKind::matmul && op.tp == TpRole::column) {
      producer[op.outputs.front().id] = &op;
    }
  }
  auto mark = [&](const Op& op, size_t i) {
    if (i >= op.inputs.size() || op.inputs[i].kind != TensorKind::activation) {
      return;
    }
    auto it = producer.find(op.inputs[i].id);
    if (it == producer.end()) {
      return;
    }
    for (const Tensor& t : it->second->inputs) {
      if (t.kind == TensorKind::weight) {
        kv_weights_.insert(t.id);  // the projection and its bias
      }
    }
  };
  for (const Op& op : first_phase) {
    switch (op.kind) {
      case OpKind::rope:
      case OpKind::batched_matmul:
        mark(op, 1);
        break;
      case OpKind::kv_write:
        mark(op, 0);
        mark(op, 1);
        break;
      case OpKind::attention:
        mark(op, 1);
        mark(op, 2);
        break;
      default:
        break;
    }
  }
}

std::vector<uint64_t> TensorParallel::rank_decl_shape(const trace::TensorDecl& d,
                                                      uint32_t layers) const {
  std::vector<uint64_t> s = d.shape;
  if (d.kind == TensorKind::kv_cache) {
    if (s.size() != 4 || s[2] != kv_heads_) {
      fail("KV cache " + quote_for_message(d.id) + " is not [batch, positions, " +
           std::to_string(kv_heads_) + " kv_heads, head_dim]: tensor parallelism cannot split it");
    }
    s[2] = kv_heads_r_;
  } else if (d.tp == TpRole::column) {
    const uint64_t n = s.back();
    if (kv_weights_.count(d.id) != 0) {
      if (n != kv_heads_ * head_dim_) {
        fail("key/value projection " + quote_for_message(d.id) + " has " + std::to_string(n) +
             " columns, not kv_heads x head_dim = " + std::to_string(kv_heads_ * head_dim_));
      }
      s.back() = kv_heads_r_ * head_dim_;
    } else if (d.layer == static_cast<int32_t>(layers)) {
      s.back() = ceil_div(n, ranks_);  // the LM head: the vocabulary padded to a multiple of T
    } else if (n % ranks_ != 0) {
      fail("expected a divisor of " + std::to_string(n) + ", the columns weight " +
           quote_for_message(d.id) + " splits over the ranks, got " + std::to_string(ranks_));
    } else {
      s.back() = n / ranks_;
    }
  } else if (d.tp == TpRole::row) {
    if (s[0] % ranks_ != 0) {
      fail("expected a divisor of " + std::to_string(s[0]) + ", the rows weight " +
           quote_for_message(d.id) + " splits over the ranks, got " + std::to_string(ranks_));
    }
    s[0] /= ranks_;
  }
  return s;
}

trace::TraceHeader TensorParallel::shard_header(const trace::TraceHeader& h,
                                                const std::deque<Op>& first_phase) {
  learn_geometry(h);
  learn_kv_weights(first_phase);
  trace::TraceHeader out = h;
  for (auto* decls : {&out.weights, &out.kv_caches}) {
    for (trace::TensorDecl& d : *decls) {
      if (d.tp == TpRole::none && d.kind != TensorKind::kv_cache) {
        continue;  // replicated
      }
      // Kept even when unchanged (a replicated key/value head): a split weight, not a whole one.
      std::vector<uint64_t> s = rank_decl_shape(d, h.layers);
      decl_full_[d.id] = d.shape;
      decl_rank_[d.id] = s;
      d.shape = std::move(s);
      d.bytes = trace::dtype_bytes(d.dtype, trace::shape_elements(d.shape));
    }
  }
  return out;
}

void TensorParallel::map_tensor(Tensor& t) const {
  if (t.kind == TensorKind::activation) {
    auto it = split_.find(t.id);
    if (it != split_.end() && it->second.shape != t.shape) {
      reshape(t, it->second.shape);
    }
    return;
  }
  auto it = decl_rank_.find(t.id);
  if (it != decl_rank_.end() && t.shape == decl_full_.at(t.id) && it->second != t.shape) {
    reshape(t, it->second);
  }
}

void TensorParallel::split_output(Op& op, size_t i, std::vector<uint64_t> shape, bool partial) {
  Tensor& t = op.outputs[i];
  if (shape != t.shape) {
    reshape(t, shape);
  }
  split_[t.id] = Split{std::move(shape), partial, op.name, op.layer};
}

void TensorParallel::shard_phase(std::deque<Op>& ops) {
  split_.clear();
  before_.clear();
  after_.clear();
  flops_.clear();
  std::unordered_set<std::string> read;
  for (const Op& op : ops) {
    for (const Tensor& t : op.inputs) {
      if (t.kind == TensorKind::activation) {
        read.insert(t.id);
      }
    }
  }
  // A phase may start mid-layer (a serving run simulates an iteration's token-parallel ops
  // apart from its attention, serve/reuse.hpp): a row-parallel matmul's input that no op of
  // the phase produces was split by heads before it, so each rank holds its slice already.
  std::unordered_set<std::string> produced;
  for (const Op& op : ops) {
    for (const Tensor& t : op.outputs) produced.insert(t.id);
  }
  for (const Op& op : ops) {
    if (op.kind != OpKind::matmul || op.tp != TpRole::row || op.inputs.empty()) continue;
    const Tensor& x = op.inputs[0];
    auto w = std::find_if(op.inputs.begin(), op.inputs.end(),
                          [](const Tensor& t) { return t.kind == TensorKind::weight; });
    if (w == op.inputs.end()) continue;
    auto it = decl_rank_.find(w->id);
    if (x.kind != TensorKind::activation || x.shape.empty() || produced.count(x.id) != 0 ||
        it == decl_rank_.end() || x.shape.back() != decl_full_.at(it->first).front()) {
      continue;
    }
    std::vector<uint64_t> shape = x.shape;
    shape.back() = it->second.front();
    split_[x.id] = Split{std::move(shape), false, op.name, op.layer};
  }
  for (Op& op : ops) {
    shard_op(op, read);
  }
}

void TensorParallel::shard_op(Op& op, const std::unordered_set<std::string>& read) {
  flops_[op.id] = op.flops;
  // A partial sum is completed by an all-reduce before the first op that needs it whole;
  // moe_combine only adds partial sums, so its output is partial in turn.
  bool partial_in = false;
  for (const Tensor& t : op.inputs) {
    auto it = split_.find(t.id);
    if (t.kind != TensorKind::activation || it == split_.end() || !it->second.partial) {
      continue;
    }
    if (op.kind == OpKind::moe_combine) {
      partial_in = true;
      continue;
    }
    before_[op.id].push_back(
        TpCollective{TpCollective::Kind::all_reduce, it->second.producer, it->second.layer,
                     trace::dtype_bytes(t.dtype, trace::shape_elements(t.shape))});
    split_.erase(it);
  }
  for (Tensor& t : op.inputs) {
    map_tensor(t);
  }
  for (Tensor& t : op.outputs) {
    if (t.kind != TensorKind::activation) {
      map_tensor(t);  // a KV cache kv_write appends to
    }
  }
  if (op.kind == OpKind::matmul) {
    shard_matmul(op);
  } else if (op.kind == OpKind::attention || op.kind == OpKind::kv_write ||
             op.kind == OpKind::kv_read || op.kind == OpKind::batched_matmul) {
    shard_heads(op);
  } else if (is_elementwise(op.kind)) {
    shard_elementwise(op);
  } else if (partial_in) {
    split_output(op, 0, op.outputs[0].shape, true);
  } else {
    for (const Tensor& t : op.inputs) {
      if (t.kind == TensorKind::activation && split_.count(t.id) != 0) {
        fail("op " + quote_for_message(op.name) + " reads " + quote_for_message(t.id) +
             ", which tensor parallelism splits over the ranks, as a whole (only element-wise "
             "ops, attention and a row-parallel matmul read split tensors)");
      }
    }
  }
  if (op.kind == OpKind::matmul && op.tp == TpRole::column && read.count(op.outputs[0].id) == 0) {
    // The logits: every rank holds 1 / T of the vocabulary; sampling needs them all.
    Tensor whole = op.outputs[0];
    whole.shape.back() *= ranks_;
    after_[op.id].push_back(
        TpCollective{TpCollective::Kind::all_gather, op.name, op.layer,
                     trace::dtype_bytes(whole.dtype, trace::shape_elements(whole.shape))});
  }
}

void TensorParallel::shard_matmul(Op& op) {
  const uint64_t m = op.mm.m;
  size_t weights = 0;
  Tensor* w = nullptr;
  for (Tensor& t : op.inputs) {
    if (t.kind == TensorKind::weight) {
      w = weights++ == 0 ? &t : w;
    }
  }
  const bool bias = weights > 1;
  if (w == nullptr || op.tp == TpRole::none) {
    if (!op.inputs.empty() && split_.count(op.inputs[0].id) != 0) {
      fail("matmul " + quote_for_message(op.name) +
           " reads a split tensor but has no "
           "tensor-parallel role");
    }
    return;
  }
  if (op.tp == TpRole::column) {
    const uint64_t n = op.mm.n;
    auto it = decl_rank_.find(w->id);
    uint64_t n_r = 0;
    if (it != decl_rank_.end()) {
      n_r = it->second.back();
    } else {
      // A replicated weight read column-wise (the tied LM head): this rank's columns of it.
      n_r = ceil_div(n, ranks_);
      w->bytes = scale_up(w->bytes, n_r, n);
    }
    op.mm.n = n_r;
    op.flops = checked_add(checked_mul(checked_mul(2 * m, n_r, "FLOPs"), op.mm.k, "FLOPs"),
                           bias ? checked_mul(m, n_r, "FLOPs") : 0, "FLOPs");
    std::vector<uint64_t> shape = op.outputs[0].shape;
    shape.back() = n_r;
    split_output(op, 0, shape, false);
    return;
  }
  auto it = decl_rank_.find(w->id);
  if (it == decl_rank_.end()) {
    fail("row-parallel matmul " + quote_for_message(op.name) + " reads weight " +
         quote_for_message(w->id) + ", which is not declared row-parallel");
  }
  const uint64_t k_r = it->second.front();
  const Tensor& x = op.inputs[0];
  if (x.kind != TensorKind::activation || x.shape.empty() || x.shape.back() != k_r) {
    fail("row-parallel matmul " + quote_for_message(op.name) + " reads " + quote_for_message(x.id) +
         " of width " + std::to_string(x.shape.back()) + ", not its " + std::to_string(k_r) +
         "-row slice of the weight");
  }
  op.mm.k = k_r;
  op.flops = checked_add(checked_mul(checked_mul(2 * m, op.mm.n, "FLOPs"), k_r, "FLOPs"),
                         bias ? checked_mul(m, op.mm.n, "FLOPs") : 0, "FLOPs");
  split_output(op, 0, op.outputs[0].shape, true);
}

void TensorParallel::shard_heads(Op& op) {
  if (op.kind == OpKind::batched_matmul) {
    // batch = sequences x heads; the scores are [B, heads, q, keys], PV's output [B, q, width].
    if (op.mm.batch % heads_ != 0) {
      fail("batched matmul " + quote_for_message(op.name) + " has batch " +
           std::to_string(op.mm.batch) + ", not a multiple of the model's " +
           std::to_string(heads_) + " heads");
    }
    op.mm.batch = op.mm.batch / heads_ * heads_r_;
    op.flops = scale_up(op.flops, heads_r_, heads_);
    std::vector<uint64_t> shape = op.outputs[0].shape;
    if (shape.size() == 4) {
      shape[1] = heads_r_;
    } else {
      shape.back() = shape.back() / heads_ * heads_r_;
    }
    split_output(op, 0, shape, false);
    return;
  }
  if (op.attn.heads != heads_ || op.attn.kv_heads != kv_heads_) {
    fail("op " + quote_for_message(op.name) + " has " + std::to_string(op.attn.heads) +
         " heads and " + std::to_string(op.attn.kv_heads) +
         " key/value heads, the header's workload.model " + std::to_string(heads_) + " and " +
         std::to_string(kv_heads_));
  }
  op.flops = scale_up(op.flops, heads_r_, heads_);
  op.attn.heads = heads_r_;
  op.attn.kv_heads = kv_heads_r_;
  if (op.kind == OpKind::attention) {
    std::vector<uint64_t> shape = op.outputs[0].shape;
    shape.back() = heads_r_ * op.attn.head_dim;
    split_output(op, 0, shape, false);
  } else if (op.kind == OpKind::kv_read) {
    for (size_t i = 0; i < op.outputs.size(); ++i) {
      std::vector<uint64_t> shape = op.outputs[i].shape;  // [B, keys, kv_heads, head_dim]
      shape[2] = kv_heads_r_;
      split_output(op, i, shape, false);
    }
  }
}

void TensorParallel::shard_elementwise(Op& op) {
  const Tensor* first = nullptr;
  for (const Tensor& t : op.inputs) {
    if (t.kind == TensorKind::activation && split_.count(t.id) != 0) {
      first = &t;
      break;
    }
  }
  if (first == nullptr) {
    return;  // replicated
  }
  const uint64_t before = checked_mul(op.rows.rows, op.rows.cols, "elements");
  if (op.kind == OpKind::rope) {
    op.rows.cols = op.inputs[0].shape.back() + op.inputs[1].shape.back();
    for (size_t i = 0; i < op.outputs.size() && i < 2; ++i) {
      split_output(op, i, op.inputs[i].shape, false);
    }
  } else {
    const std::vector<uint64_t> shape = first->shape;
    op.rows.cols = shape.back();
    op.rows.rows = trace::shape_elements(shape) / shape.back();
    for (size_t i = 0; i < op.outputs.size(); ++i) {
      split_output(op, i, shape, false);
    }
  }
  op.flops = scale_up(op.flops, checked_mul(op.rows.rows, op.rows.cols, "elements"), before);
}

uint64_t TensorParallel::model_flops(uint64_t id) const {
  auto it = flops_.find(id);
  return it == flops_.end() ? 0 : it->second;
}

const std::vector<TpCollective>& TensorParallel::find(
    const std::unordered_map<uint64_t, std::vector<TpCollective>>& m, uint64_t id) {
  static const std::vector<TpCollective> kNone;
  auto it = m.find(id);
  return it == m.end() ? kNone : it->second;
}

}  // namespace cimsim::vn
