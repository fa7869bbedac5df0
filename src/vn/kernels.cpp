// GEMM/GEMV mapping, streaming row kernels and KV-cache copies (attention kernels are in
// attention_*.cpp, GEMM tiling heuristics in gemm_*.cpp).
#include <algorithm>
#include <cmath>
#include <limits>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/common/error.hpp"
#include "cimsim/vn/kernels.hpp"

namespace cimsim::vn {

namespace {
constexpr uint64_t kStreamStageBytes = 8192;
constexpr uint64_t kStreamCtaBytes = 32768;
}  // namespace

ElementCost element_cost(trace::OpKind kind) {
  using K = trace::OpKind;
  switch (kind) {
    case K::layernorm:
      return {8, 0};  // mean, variance, normalise, scale, shift
    case K::rmsnorm:
      return {4, 0};  // square-sum, normalise, scale
    case K::softmax:
      return {5, 1};  // scale/mask, max, subtract, sum, divide; exp
    case K::gelu:
      return {8, 1};  // tanh approximation
    case K::silu:
      return {4, 1};  // x * sigmoid(x); exp
    case K::relu:
      return {1, 0};
    case K::add:
      return {1, 0};
    case K::mul:
      return {1, 0};
    case K::rope:
      return {3, 1};  // rotate pairs; sin/cos
    case K::embedding:
      return {1, 0};  // add learned position
    case K::moe_route:
      return {7, 1};  // softmax (5, exp) and the top-k passes (one compare each, top-2)
    case K::moe_combine:
      return {2, 0};  // scale a routed row by its weight, add it into its token's row
    default:
      return {0, 0};
  }
}

KernelPlanner::KernelPlanner(const MachineConfig& cfg, AddressMap& map, double hbm_bytes_per_s,
                             Where where)
    : cfg_(cfg),
      map_(map),
      hbm_bytes_per_cycle_(hbm_bytes_per_s / (cfg.clock_ghz * 1e9)),
      where_(std::move(where)),
      kernel_overhead_cycles_(cfg.execution.make()->kernel_overhead_ps() * 1e-3 * cfg.clock_ghz),
      attention_(cfg.attention.make()),
      gemm_heuristic_(cfg.gemm.heuristic.make()) {}

KernelPlanner::~KernelPlanner() = default;

void KernelPlanner::plan_attention(const trace::Op& op, const AttentionFusion& fused,
                                   std::vector<KernelPlan>& out) {
  if (op.inputs.size() < 3 || op.outputs.empty()) {
    throw InputError("trace op " + quote_for_message(op.name) +
                     ": attention needs inputs Q, K, V and an output");
  }
  trace::DType t = op.inputs[0].dtype;
  if (rate_for(cfg_.compute.tensor_macs_per_cycle, t) <= 0 &&
      rate_for(cfg_.compute.vector_macs_per_cycle, t) <= 0) {
    no_unit(op, t);
  }
  attention_->plan(op, fused, *this, out);
}

double KernelPlanner::peak_macs_per_cycle(trace::DType t) const {
  double r = rate_for(cfg_.compute.tensor_macs_per_cycle, t);
  if (r <= 0) {
    r = rate_for(cfg_.compute.vector_macs_per_cycle, t);
  }
  return r * cfg_.compute.units;
}

void KernelPlanner::no_unit(const trace::Op& op, trace::DType t) const {
  std::string have;
  for (const auto& [n, r] : cfg_.compute.tensor_macs_per_cycle) {
    if (r > 0) {
      have += (have.empty() ? "" : ", ") + n;
    }
  }
  for (const auto& [n, r] : cfg_.compute.vector_macs_per_cycle) {
    if (r > 0) {
      have += (have.empty() ? "" : ", ") + n + " (SIMD)";
    }
  }
  throw InputError(where_("compute.tensor_macs_per_cycle"),
                   std::string("op ") + quote_for_message(op.name) + " multiplies " +
                       config::enum_name(t) + " operands, but the machine has no " +
                       config::enum_name(t) +
                       " matrix or SIMD unit (expected the trace's data "
                       "types among: " +
                       (have.empty() ? "none" : have) + ")");
}

std::vector<KernelPlan> KernelPlanner::plan(const trace::Op& op) {
  std::vector<KernelPlan> out;
  switch (op.kind) {
    case trace::OpKind::matmul:
    case trace::OpKind::batched_matmul:
      plan_matmul(op, out);
      break;
    case trace::OpKind::attention:
      plan_attention(op, AttentionFusion{}, out);
      break;
    case trace::OpKind::kv_write:
    case trace::OpKind::kv_read:
      plan_kv_copy(op, out);
      break;
    default:
      plan_rows(op, out);
  }
  return out;
}

// ---- GEMM ---------------------------------------------------------------------------------

std::vector<KernelPlan> KernelPlanner::plan(const OpGroup& group) {
  if (group.pattern == nullptr) {
    return plan(group.ops.front());
  }
  std::vector<KernelPlan> out;
  group.pattern->plan(group, *this, out);
  return out;
}

Load KernelPlanner::whole(const trace::Tensor& t) {
  const TensorLoc& l = map_.tensor(t);
  return Load{l.base, std::min(t.bytes, l.size), l.index};
}

void KernelPlanner::plan_matmul(const trace::Op& op, std::vector<KernelPlan>& out) {
  plan_gemm(gemm_of(op), out);
}

KernelPlanner::Gemm KernelPlanner::gemm_of(const trace::Op& op) {
  if (op.inputs.size() < 2 || op.outputs.empty()) {
    throw InputError("trace op " + quote_for_message(op.name) +
                     ": a matmul needs two input tensors and one output");
  }
  const trace::Tensor& a = op.inputs[0];
  const trace::Tensor* b =
      op.kind == trace::OpKind::matmul && op.weight() ? op.weight() : &op.inputs[1];
  const trace::Tensor& c = op.outputs[0];
  Gemm g;
  g.name = op.kind == trace::OpKind::matmul ? "gemm" : "bgemm";
  g.op_name = op.name;
  g.batch = std::max<uint64_t>(1, op.mm.batch);
  g.m = op.mm.m;
  g.n = op.mm.n;
  g.k = op.mm.k;
  g.dtype = trace::dtype_bits(a.dtype) >= trace::dtype_bits(b->dtype) ? a.dtype : b->dtype;
  g.a_bytes = elem_bytes(a.dtype);
  g.b_bytes = elem_bytes(b->dtype);
  g.c_bytes = elem_bytes(c.dtype);
  TensorLoc la = map_.tensor(a), lb = map_.tensor(*b), lc = map_.tensor(c);
  g.a_tensor = la.index;
  g.b_tensor = lb.index;
  g.c_tensor = lc.index;
  uint64_t sa = g.m * g.k * g.a_bytes, sb = g.k * g.n * g.b_bytes, sc = g.m * g.n * g.c_bytes;
  bool b_shared = op.kind == trace::OpKind::matmul;  // one weight for every batch element
  g.a_base = [la, sa](uint64_t i) { return la.base + i * sa; };
  g.b_base = [lb, sb, b_shared](uint64_t i) { return lb.base + (b_shared ? 0 : i * sb); };
  g.c_base = [lc, sc](uint64_t i) { return lc.base + i * sc; };
  if (rate_for(cfg_.compute.tensor_macs_per_cycle, g.dtype) <= 0 &&
      rate_for(cfg_.compute.vector_macs_per_cycle, g.dtype) <= 0) {
    no_unit(op, g.dtype);
  }
  return g;
}

namespace {
using Columns = KernelPlanner::Columns;
// Calls fn(band, first column within the band, columns) for the bands columns [lo, hi) cover.
template <class F>
void for_each_band(const std::vector<Columns>& bands, uint64_t lo, uint64_t hi, F fn) {
  for (const Columns& c : bands) {
    uint64_t a = std::max(lo, c.n0), b = std::min(hi, c.n0 + c.n);
    if (a < b) {
      fn(c, a - c.n0, b - a);
    }
  }
}
}  // namespace

void KernelPlanner::plan_gemm(const Gemm& gemm, std::vector<KernelPlan>& out) {
  if (gemm.m == 0 || gemm.n == 0 || gemm.k == 0) {
    return;
  }
  Gemm g = gemm;
  if (g.columns.empty()) {
    g.columns.push_back(Columns{0, g.n, g.b_tensor, g.c_tensor, g.b_base, g.c_base});
  }
  bool has_tensor = rate_for(cfg_.compute.tensor_macs_per_cycle, g.dtype) > 0;
  bool has_vector = rate_for(cfg_.compute.vector_macs_per_cycle, g.dtype) > 0;
  if (has_vector && (g.m <= cfg_.compute.gemv_max_rows || !has_tensor)) {
    plan_gemv(g, out);
  } else {
    plan_tensor_gemm(g, out);
  }
}

void KernelPlanner::plan_tensor_gemm(const Gemm& g, std::vector<KernelPlan>& out) {
  const GemmConfig& gc = cfg_.gemm;
  const std::optional<GemmTiling> best = gemm_heuristic_->choose(
      GemmShape{g.batch, g.m, g.n, g.k, g.dtype, g.a_bytes, g.b_bytes, g.c_bytes},
      GemmMachine{cfg_, hbm_bytes_per_cycle_, kernel_overhead_cycles_});
  if (!best) {
    throw InputError(where_("gemm.tiles"),
                     "no thread-block tile fits smem.capacity_bytes = " +
                         std::to_string(cfg_.smem.capacity_bytes) + " for " +
                         std::to_string(g.a_bytes * 8) + "-bit x " + std::to_string(g.b_bytes * 8) +
                         "-bit operands of " + quote_for_message(g.op_name) +
                         " (expected at least one tile whose "
                         "stages x (BM x BK + BK x BN) x element bytes fits)");
  }
  const TileShape t = best->tile;
  const uint64_t split = best->split_k;
  const uint64_t tm = ceil_div(g.m, t.bm), tn = ceil_div(g.n, t.bn);
  const uint64_t kper = round_up_to(ceil_div(g.k, split), t.bk);
  const uint64_t swz = std::max<uint64_t>(1, std::min<uint64_t>(gc.swizzle, tm));
  TensorLoc ws{};
  if (split > 1) {
    ws = map_.scratch("splitk", g.batch * split * tm * tn * t.bm * t.bn * 4);
  }
  const uint64_t warp_m = warp_rows(t, cfg_), warp_n = warp_cols(t, cfg_);
  KernelPlan k;
  k.name = g.name + "_" + std::to_string(t.bm) + "x" + std::to_string(t.bn) + "x" +
           std::to_string(t.bk) + (split > 1 ? "_splitk" + std::to_string(split) : "");
  k.ctas = g.batch * tm * tn * split;
  k.stages = t.stages;
  k.occupancy = best->occupancy;
  k.dtype = g.dtype;
  const MachineConfig* cfg = &cfg_;
  k.cta = [g, t, split, tm, tn, kper, swz, ws, cfg, warp_m, warp_n](uint64_t idx, CtaWork& w) {
    uint64_t per = tm * tn;
    uint64_t bz = idx / per, tile = idx % per;
    uint64_t b = bz / split, s = bz % split;
    uint64_t group = tile / (swz * tn), within = tile % (swz * tn);
    uint64_t rows_in_group = std::min(swz, tm - group * swz);
    uint64_t j = within / rows_in_group, i = group * swz + within % rows_in_group;
    uint64_t r = std::min(t.bm, g.m - i * t.bm), c = std::min(t.bn, g.n - j * t.bn);
    uint64_t k0 = s * kper, kk = std::min(kper, g.k - k0);
    w.steps = ceil_div(kk, t.bk);
    const IssuedTile issued = issued_tile(*cfg, t, r, c, kk);
    w.loads.push_back(
        Load{g.a_base(b) + (i * t.bm * g.k + k0 * r) * g.a_bytes, r * kk * g.a_bytes, g.a_tensor});
    for_each_band(g.columns, j * t.bn, j * t.bn + c,
                  [&](const Columns& band, uint64_t lo, uint64_t n) {
                    w.loads.push_back(Load{band.b_base(b) + (lo * g.k + k0 * n) * g.b_bytes,
                                           n * kk * g.b_bytes, band.b_tensor});
                  });
    double steps = static_cast<double>(w.steps);
    w.step.tensor_macs = issued.macs / steps;
    // Each warp (or warpgroup) tile reads its A rows and B columns from shared memory.
    double rep_a = std::max(1.0, static_cast<double>(t.bn) / static_cast<double>(warp_n));
    double rep_b = std::max(1.0, static_cast<double>(t.bm) / static_cast<double>(warp_m));
    w.step.smem_read = (static_cast<double>(issued.rows * g.a_bytes) * rep_a +
                        static_cast<double>(issued.cols * g.b_bytes) * rep_b) *
                       static_cast<double>(kk) / steps;
    w.step.smem_write =
        static_cast<double>((issued.rows * g.a_bytes + issued.cols * g.b_bytes) * kk) / steps;
    // Dequantising a narrower weight costs one vector op per weight element.
    if (g.b_bytes < g.a_bytes) {
      w.step.vector_flops = static_cast<double>(c * kk) / steps;
    }
    uint64_t out_bytes = split > 1 ? 4 : g.c_bytes;
    if (split > 1) {
      w.stores.push_back(Load{ws.base + ((b * split + s) * per + i * tn + j) * t.bm * t.bn * 4,
                              r * c * 4, ws.index});
    } else {
      for_each_band(
          g.columns, j * t.bn, j * t.bn + c, [&](const Columns& band, uint64_t lo, uint64_t n) {
            w.stores.push_back(Load{band.c_base(b) + (i * t.bm * band.n + lo * r) * g.c_bytes,
                                    r * n * g.c_bytes, band.c_tensor});
          });
    }
    // The accumulate (and bias, activation) of each output element; split-K leaves the rest
    // to the reduction.
    const ElementCost epi = split > 1 ? ElementCost{1, 0} : g.epilogue;
    w.epilogue.vector_flops = static_cast<double>(r * c) * epi.flops;
    w.epilogue.sfu_ops = static_cast<double>(r * c) * epi.sfu;
    w.epilogue.smem_write = static_cast<double>(r * c * out_bytes);
    w.epilogue.smem_read = static_cast<double>(r * c * out_bytes);
  };
  out.push_back(std::move(k));
  if (split > 1) {
    std::vector<Load> reads{Load{ws.base, g.batch * split * tm * tn * t.bm * t.bn * 4, ws.index}};
    std::vector<Load> writes;
    for (const Columns& band : g.columns) {
      writes.push_back(Load{band.c_base(0), g.batch * g.m * band.n * g.c_bytes, band.c_tensor});
    }
    // One add per partial; the epilogue's extra work (an activation) once per output.
    const double per = static_cast<double>(split);
    out.push_back(stream_kernel(
        "splitk_reduce", reads, {}, writes, static_cast<double>(g.batch * g.m * g.n * split),
        ElementCost{1 + (g.epilogue.flops - 1) / per, g.epilogue.sfu / per}));
  }
}

void KernelPlanner::plan_gemv(const Gemm& g, std::vector<KernelPlan>& out) {
  const auto& cc = cfg_.compute;
  const uint64_t rows_per = std::min<uint64_t>(
      g.n, std::max<uint64_t>(8, ceil_div(g.n * g.batch, 2 * uint64_t{cc.units})));
  const uint64_t per_b = ceil_div(g.n, rows_per);
  KernelPlan k;
  k.name = g.name == "gemm" ? "gemv" : "bgemv";
  k.ctas = g.batch * per_b;
  k.stages = 2;
  k.occupancy = cc.max_ctas_per_unit;
  k.dtype = g.dtype;
  k.cta = [g, rows_per, per_b](uint64_t idx, CtaWork& w) {
    uint64_t b = idx / per_b, j = idx % per_b;
    uint64_t rows = std::min(rows_per, g.n - j * rows_per);
    uint64_t band = rows * g.k * g.b_bytes;
    w.steps = std::max<uint64_t>(1, ceil_div(band, kStreamStageBytes));
    w.loads.push_back(Load{g.a_base(b), g.m * g.k * g.a_bytes, g.a_tensor});
    for_each_band(g.columns, j * rows_per, j * rows_per + rows,
                  [&](const Columns& c, uint64_t lo, uint64_t n) {
                    w.loads.push_back(
                        Load{c.b_base(b) + lo * g.k * g.b_bytes, n * g.k * g.b_bytes, c.b_tensor});
                  });
    double steps = static_cast<double>(w.steps);
    w.step.vector_macs = static_cast<double>(g.m * rows * g.k) / steps;
    w.step.smem_write = static_cast<double>(band + g.m * g.k * g.a_bytes) / steps;
    w.step.smem_read = w.step.smem_write;
    for_each_band(g.columns, j * rows_per, j * rows_per + rows,
                  [&](const Columns& c, uint64_t lo, uint64_t n) {
                    w.stores.push_back(
                        Load{c.c_base(b) + lo * g.m * g.c_bytes, g.m * n * g.c_bytes, c.c_tensor});
                  });
    w.epilogue.vector_flops = static_cast<double>(g.m * rows) * g.epilogue.flops;
    w.epilogue.sfu_ops = static_cast<double>(g.m * rows) * g.epilogue.sfu;
  };
  out.push_back(std::move(k));
}

// ---- streaming kernels --------------------------------------------------------------------

KernelPlan KernelPlanner::stream_kernel(const std::string& name, const std::vector<Load>& reads,
                                        const std::vector<Load>& bcast,
                                        const std::vector<Load>& writes, double elements,
                                        ElementCost cost) const {
  uint64_t total = 0;
  for (const auto& l : reads) {
    total += l.bytes;
  }
  for (const auto& l : writes) {
    total += l.bytes;
  }
  uint64_t ctas =
      std::clamp<uint64_t>(total / kStreamCtaBytes, 1, uint64_t{cfg_.compute.units} * 4);
  KernelPlan k;
  k.name = name;
  k.ctas = ctas;
  k.stages = 2;
  k.occupancy = cfg_.compute.max_ctas_per_unit;
  k.cta = [reads, bcast, writes, ctas, elements, cost](uint64_t c, CtaWork& w) {
    auto slice = [&](const Load& l) {
      uint64_t lo = l.bytes * c / ctas, hi = l.bytes * (c + 1) / ctas;
      return Load{l.addr + lo, hi - lo, l.tensor};
    };
    uint64_t in = 0, outb = 0;
    for (const auto& l : bcast) {
      w.loads.push_back(l);
      in += l.bytes;
    }
    for (const auto& l : reads) {
      Load s = slice(l);
      if (s.bytes == 0) {
        continue;
      }
      w.loads.push_back(s);
      in += s.bytes;
    }
    for (const auto& l : writes) {
      Load s = slice(l);
      if (s.bytes == 0) {
        continue;
      }
      w.stores.push_back(s);
      outb += s.bytes;
    }
    w.steps = std::max<uint64_t>(1, ceil_div(in, kStreamStageBytes));
    double steps = static_cast<double>(w.steps);
    double e = elements / static_cast<double>(ctas);
    w.step.vector_flops = e * cost.flops / steps;
    w.step.sfu_ops = e * cost.sfu / steps;
    w.step.smem_write = static_cast<double>(in) / steps;
    w.step.smem_read = static_cast<double>(in) / steps;
    w.epilogue.smem_write = static_cast<double>(outb);
  };
  return k;
}

void KernelPlanner::plan_rows(const trace::Op& op, std::vector<KernelPlan>& out) {
  std::vector<Load> reads, bcast, writes;
  for (const auto& t : op.inputs) {
    const TensorLoc& l = map_.tensor(t);
    Load ld{l.base, std::min(t.bytes, l.size), l.index};
    if (ld.bytes == 0) {
      continue;
    }
    bool whole = t.kind == trace::TensorKind::weight && op.kind != trace::OpKind::embedding;
    (whole ? bcast : reads).push_back(ld);
  }
  for (const auto& t : op.outputs) {
    const TensorLoc& l = map_.tensor(t);
    if (t.bytes > 0) {
      writes.push_back(Load{l.base, std::min(t.bytes, l.size), l.index});
    }
  }
  double elements = static_cast<double>(op.rows.rows * op.rows.cols);
  if (elements == 0 && !op.outputs.empty()) {
    elements = static_cast<double>(op.outputs[0].bytes) /
               std::max<uint32_t>(1, elem_bytes(op.outputs[0].dtype));
  }
  out.push_back(stream_kernel(config::enum_name(op.kind), reads, bcast, writes, elements,
                              element_cost(op.kind)));
}

void KernelPlanner::plan_kv_copy(const trace::Op& op, std::vector<KernelPlan>& out) {
  const trace::AttentionShape& a = op.attn;
  bool writing = op.kind == trace::OpKind::kv_write;
  std::vector<Load> reads, writes;
  uint64_t first = writing ? a.kv_len - std::min(a.q_len, a.kv_len) : a.first_key();
  uint64_t rows = writing ? std::min(a.q_len, a.kv_len) : a.keys();
  uint64_t kvh = std::max<uint64_t>(1, a.kv_heads), batch = std::max<uint64_t>(1, a.batch);
  auto cache_rows = [&](const trace::Tensor& t, std::vector<Load>& into) {
    const TensorLoc& l = map_.tensor(t);
    uint64_t e = elem_bytes(t.dtype);
    uint64_t row_bytes = std::max<uint64_t>(1, a.head_dim) * e;
    uint64_t max_len = std::max<uint64_t>(a.kv_len, l.size / (batch * kvh * row_bytes));
    for (uint64_t b = 0; b < batch; ++b) {
      for (uint64_t h = 0; h < kvh; ++h) {
        into.push_back(Load{l.base + ((b * kvh + h) * max_len + first) * row_bytes,
                            rows * row_bytes, l.index});
      }
    }
  };
  for (const auto& t : op.inputs) {
    if (t.kind == trace::TensorKind::kv_cache) {
      cache_rows(t, reads);
    } else if (t.bytes > 0) {
      const TensorLoc& l = map_.tensor(t);
      reads.push_back(Load{l.base, std::min(t.bytes, l.size), l.index});
    }
  }
  for (const auto& t : op.outputs) {
    if (t.kind == trace::TensorKind::kv_cache) {
      cache_rows(t, writes);
    } else if (t.bytes > 0) {
      const TensorLoc& l = map_.tensor(t);
      writes.push_back(Load{l.base, std::min(t.bytes, l.size), l.index});
    }
  }
  // One CTA per (sequence, KV head) segment: each copies its own rows.
  uint64_t ctas = std::max<uint64_t>(1, batch * kvh);
  KernelPlan k;
  k.name = config::enum_name(op.kind);
  k.ctas = ctas;
  k.stages = 2;
  k.occupancy = cfg_.compute.max_ctas_per_unit;
  k.cta = [reads, writes, ctas](uint64_t c, CtaWork& w) {
    uint64_t in = 0, outb = 0;
    auto take = [&](const std::vector<Load>& v, std::vector<Load>& into, uint64_t& sum) {
      if (v.size() % ctas == 0 && v.size() >= ctas) {  // per-segment ranges: this CTA's share
        uint64_t per = v.size() / ctas;
        for (uint64_t i = c * per; i < (c + 1) * per; ++i) {
          into.push_back(v[i]);
          sum += v[i].bytes;
        }
      } else {
        for (const auto& l : v) {
          uint64_t lo = l.bytes * c / ctas, hi = l.bytes * (c + 1) / ctas;
          if (hi > lo) {
            into.push_back(Load{l.addr + lo, hi - lo, l.tensor});
          }
          sum += hi - lo;
        }
      }
    };
    take(reads, w.loads, in);
    take(writes, w.stores, outb);
    w.steps = std::max<uint64_t>(1, ceil_div(in, kStreamStageBytes));
    w.step.smem_write = static_cast<double>(in) / static_cast<double>(w.steps);
    w.step.smem_read = w.step.smem_write;
    w.epilogue.smem_write = static_cast<double>(outb);
  };
  out.push_back(std::move(k));
}

}  // namespace cimsim::vn
