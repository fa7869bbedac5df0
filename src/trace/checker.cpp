#include "checker.hpp"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/common/error.hpp"
#include "cimsim/config/json_file.hpp"

namespace cimsim::trace::detail {
namespace {

using config::join_path;

std::string shape_text(const std::vector<uint64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    s += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return s + "]";
}

// Full size of a tensor in bytes; a shape too large to count is itself an error.
uint64_t full_bytes(DType dtype, const std::vector<uint64_t>& shape, const std::string& path) {
  try {
    return dtype_bytes(dtype, shape_elements(shape));
  } catch (const OverflowError& e) {
    throw InputError(join_path(path, "shape"), e.what());
  }
}

// Which phase kinds a mode has, and their order.
int phase_rank(const std::string& mode, PhaseKind kind) {
  if (mode == "decoder") {
    if (kind == PhaseKind::prefill) {
      return 0;
    }
    if (kind == PhaseKind::decode) {
      return 1;
    }
  } else if (mode == "encoder") {
    if (kind == PhaseKind::encode) {
      return 0;
    }
  } else if (mode == "entp") {
    if (kind == PhaseKind::entp) {
      return 0;
    }
  }
  return -1;
}

bool needs_weight(OpKind kind) {
  return kind == OpKind::matmul || kind == OpKind::embedding || kind == OpKind::layernorm ||
         kind == OpKind::rmsnorm;
}

// Machines multiply an op's dimensions (MACs, query-key pairs, elements): a shape whose
// product does not fit 64 bits would wrap, so it is bad input. A lowered workload never
// fails this: its FLOPs, which are at least this product, fit (workload check_sizes).
void check_shape(const Op& op, const std::string& path) {
  const std::pair<const char*, std::vector<uint64_t>> shapes[] = {
      {"mm", {op.mm.batch, op.mm.m, op.mm.n, op.mm.k}},
      {"attn",
       {op.attn.batch, std::max(op.attn.heads, op.attn.kv_heads), op.attn.head_dim, op.attn.q_len,
        op.attn.kv_len}},
      {"rows", {op.rows.rows, op.rows.cols}}};
  for (const auto& [key, dims] : shapes) {
    try {
      uint64_t n = 1;
      for (uint64_t d : dims) {
        n = checked_mul(n, std::max<uint64_t>(d, 1), "the product of its dimensions");
      }
    } catch (const OverflowError& e) {
      throw InputError(
          join_path(path, key),
          std::string("expected a shape whose work fits 64-bit counts, but ") + e.what());
    }
  }
}

}  // namespace

void check_header(const TraceHeader& h) {
  if (h.mode != "decoder" && h.mode != "encoder" && h.mode != "entp") {
    throw InputError("header.mode",
                     "expected one of decoder, encoder, entp, got " + quote_for_message(h.mode));
  }
  std::set<std::string> ids;
  auto check_decls = [&](const std::vector<TensorDecl>& decls, TensorKind kind, const char* key) {
    for (size_t i = 0; i < decls.size(); ++i) {
      const TensorDecl& d = decls[i];
      std::string path = join_path(std::string("header.") + key, i);
      if (d.kind != kind) {
        throw InputError(join_path(path, "kind"), std::string("expected \"") +
                                                      config::enum_name(kind) + "\", got \"" +
                                                      config::enum_name(d.kind) + "\"");
      }
      if (d.id.empty() || d.id == "tokens") {
        throw InputError(join_path(path, "id"),
                         "expected a tensor id other than \"\" and "
                         "\"tokens\", got " +
                             quote_for_message(d.id));
      }
      if (!ids.insert(d.id).second) {
        throw InputError(join_path(path, "id"), "declared twice: " + quote_for_message(d.id));
      }
      uint64_t full = full_bytes(d.dtype, d.shape, path);
      if (d.bytes != full) {
        throw InputError(join_path(path, "bytes"), "expected " + std::to_string(full) + " (shape " +
                                                       shape_text(d.shape) + " of " +
                                                       config::enum_name(d.dtype) + "), got " +
                                                       std::to_string(d.bytes));
      }
      if (d.layer < -1 || d.layer > static_cast<int64_t>(h.layers)) {
        throw InputError(join_path(path, "layer"), "expected an integer in [-1, " +
                                                       std::to_string(h.layers) + "], got " +
                                                       std::to_string(d.layer));
      }
      // A column split cuts the last dimension (a [k, n] weight or an [n] bias), a row split
      // the first of a [k, n] weight; a KV cache is split by its heads, implicitly.
      const bool splittable =
          d.kind == TensorKind::weight &&
          (d.shape.size() == 2 || (d.shape.size() == 1 && d.tp == TpRole::column));
      if (d.tp != TpRole::none && !splittable) {
        throw InputError(join_path(path, "tp"), std::string("a \"") + config::enum_name(d.tp) +
                                                    "\" split needs a weight of shape [k, n]" +
                                                    (d.tp == TpRole::column ? " or [n]" : "") +
                                                    ", got a " + config::enum_name(d.kind) +
                                                    " of shape " + shape_text(d.shape));
      }
    }
  };
  check_decls(h.weights, TensorKind::weight, "weights");
  check_decls(h.kv_caches, TensorKind::kv_cache, "kv_caches");
}

TraceChecker::TraceChecker(const TraceHeader& header) : header_(header) {
  for (const auto& d : header.weights) {
    declared_.emplace(d.id, &d);
  }
  for (const auto& d : header.kv_caches) {
    declared_.emplace(d.id, &d);
  }
}

void TraceChecker::enter_phase(const Op& op, const std::string& path) {
  int rank = phase_rank(header_.mode, op.phase.kind);
  if (rank < 0) {
    throw InputError(join_path(path, "phase"), std::string("a ") + header_.mode + " trace has no " +
                                                   config::enum_name(op.phase.kind) + " phase");
  }
  bool stepped = op.phase.kind == PhaseKind::decode || op.phase.kind == PhaseKind::entp;
  if (stepped ? op.phase.step == 0 : op.phase.step != 0) {
    throw InputError(join_path(path, "step"), std::string("expected ") +
                                                  (stepped ? "a step >= 1" : "step 0") + " in a " +
                                                  config::enum_name(op.phase.kind) +
                                                  " phase, got " + std::to_string(op.phase.step));
  }
  if (started_ && op.phase == phase_) {
    return;
  }
  if (started_) {
    int current = phase_rank(header_.mode, phase_.kind);
    bool later = rank > current || (rank == current && op.phase.step > phase_.step);
    if (!later) {
      throw InputError(join_path(path, "phase"), "phase " + phase_label(op.phase) +
                                                     " follows phase " + phase_label(phase_) +
                                                     " (phases run in order, each in one piece)");
    }
  }
  started_ = true;
  phase_ = op.phase;
  activations_.clear();
}

void TraceChecker::check_tensor(const Tensor& t, const std::string& path, bool is_input,
                                const Op& op) {
  uint64_t full = full_bytes(t.dtype, t.shape, path);
  if (t.bytes > full) {
    throw InputError(join_path(path, "bytes"), "expected at most " + std::to_string(full) +
                                                   " (the whole " + shape_text(t.shape) + " " +
                                                   config::enum_name(t.dtype) + " tensor), got " +
                                                   std::to_string(t.bytes));
  }
  const std::string id_path = join_path(path, "id");
  if (t.kind == TensorKind::activation) {
    if (t.id == "tokens") {
      if (!is_input) {
        throw InputError(id_path, "\"tokens\" is the phase input; no op writes it");
      }
      return;
    }
    auto it = activations_.find(t.id);
    if (is_input) {
      if (it == activations_.end()) {
        throw InputError(id_path, "references unknown tensor " + quote_for_message(t.id) +
                                      " (no earlier op of phase " + phase_label(op.phase) +
                                      " wrote it)");
      }
      if (it->second.shape != t.shape || it->second.dtype != t.dtype) {
        throw InputError(path, "activation " + quote_for_message(t.id) + " was written as " +
                                   shape_text(it->second.shape) + " " +
                                   config::enum_name(it->second.dtype) + ", read as " +
                                   shape_text(t.shape) + " " + config::enum_name(t.dtype));
      }
    } else {
      if (it != activations_.end()) {
        throw InputError(id_path, "activation " + quote_for_message(t.id) +
                                      " is written twice in phase " + phase_label(op.phase));
      }
      activations_.emplace(t.id, Written{t.dtype, t.shape});
    }
    return;
  }
  auto it = declared_.find(t.id);
  if (it == declared_.end() || it->second->kind != t.kind) {
    throw InputError(id_path, "references unknown tensor " + quote_for_message(t.id) + " (no " +
                                  config::enum_name(t.kind) + " of that id in the header)");
  }
  if (it->second->shape != t.shape || it->second->dtype != t.dtype) {
    throw InputError(path, quote_for_message(t.id) + " is declared as " +
                               shape_text(it->second->shape) + " " +
                               config::enum_name(it->second->dtype) + ", used as " +
                               shape_text(t.shape) + " " + config::enum_name(t.dtype));
  }
  if (!is_input && t.kind == TensorKind::weight) {
    throw InputError(id_path, "ops read weights, they do not write them");
  }
}

void TraceChecker::check(const Op& op) {
  const std::string path = "op[" + std::to_string(ops_) + "]";
  if (ops_ == header_.op_count) {
    throw InputError(path,
                     "more ops than the header's op_count = " + std::to_string(header_.op_count));
  }
  if (op.id != ops_) {
    throw InputError(join_path(path, "id"), "op ids count up from 0: expected " +
                                                std::to_string(ops_) + ", got " +
                                                std::to_string(op.id));
  }
  if (op.name.empty()) {
    throw InputError(join_path(path, "name"), "expected a non-empty name");
  }
  if (op.layer < -1 || op.layer > static_cast<int64_t>(header_.layers)) {
    throw InputError(join_path(path, "layer"), "expected an integer in [-1, " +
                                                   std::to_string(header_.layers) + "], got " +
                                                   std::to_string(op.layer));
  }
  enter_phase(op, path);
  if (op.inputs.empty()) {
    throw InputError(join_path(path, "in"), "expected at least one input");
  }
  if (op.outputs.empty()) {
    throw InputError(join_path(path, "out"), "expected at least one output");
  }
  if (needs_weight(op.kind) && op.weight() == nullptr) {
    throw InputError(join_path(path, "in"), std::string("a ") + config::enum_name(op.kind) +
                                                " op reads a weight; none is given");
  }
  check_shape(op, path);
  if (op.tp != TpRole::none && op.kind != OpKind::matmul) {
    throw InputError(join_path(path, "tp"), std::string("only a matmul has a tensor-parallel "
                                                        "role; a ") +
                                                config::enum_name(op.kind) + " op has none");
  }
  if (op.attn.window > 0 && !op.attn.causal) {
    throw InputError(join_path(path, "attn.window"),
                     "a sliding window applies to causal attention only: expected 0 with "
                     "\"causal\": false, got " +
                         std::to_string(op.attn.window));
  }
  for (size_t i = 0; i < op.inputs.size(); ++i) {
    check_tensor(op.inputs[i], join_path(join_path(path, "in"), i), true, op);
  }
  for (size_t i = 0; i < op.outputs.size(); ++i) {
    check_tensor(op.outputs[i], join_path(join_path(path, "out"), i), false, op);
  }
  ++ops_;
}

void TraceChecker::finish() const {
  if (ops_ != header_.op_count) {
    throw InputError("the trace ends after " + std::to_string(ops_) +
                     " ops but its header promises op_count = " + std::to_string(header_.op_count) +
                     " (truncated?)");
  }
}

}  // namespace cimsim::trace::detail
