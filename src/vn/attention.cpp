// Fused attention: FlashAttention (Algorithm 1) or the standard three-kernel form.
#include <algorithm>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/common/error.hpp"
#include "cimsim/vn/kernels.hpp"

namespace cimsim::vn {

namespace {

// Where the rows of one (sequence, head) of Q, K, V or O start.
struct HeadLayout {
  uint64_t base = 0;
  uint64_t heads = 1;  // heads of this tensor (kv_heads for K/V)
  uint64_t len = 0;    // rows allocated per (sequence, head)
  uint64_t row_bytes = 0;
  uint32_t tensor = 0;
  uint64_t at(uint64_t b, uint64_t h, uint64_t row) const {
    return base + ((b * heads + h) * len + row) * row_bytes;
  }
};

HeadLayout layout(AddressMap& map, const trace::Tensor& t, const trace::AttentionShape& a,
                  uint64_t heads, uint64_t rows) {
  const TensorLoc& l = map.tensor(t);
  HeadLayout h;
  h.base = l.base;
  h.heads = std::max<uint64_t>(1, heads);
  h.row_bytes = std::max<uint64_t>(1, a.head_dim) * elem_bytes(t.dtype);
  h.len = rows;
  if (t.kind == trace::TensorKind::kv_cache) {
    // The cache is allocated at full length: rows per (sequence, head) from its size.
    uint64_t per = std::max<uint64_t>(1, a.batch) * h.heads * h.row_bytes;
    h.len = std::max<uint64_t>(rows, l.size / per);
  }
  h.tensor = l.index;
  return h;
}
}  // namespace

FlashBlocks KernelPlanner::flash_blocks(uint64_t head_dim, uint32_t elem) const {
  uint64_t sram = cfg_.flash.sram_bytes > 0 ? cfg_.flash.sram_bytes : cfg_.smem.capacity_bytes;
  FlashBlocks f;
  f.m_elems = sram / std::max<uint32_t>(1, elem);
  uint64_t d = std::max<uint64_t>(1, head_dim);
  f.bc = std::max<uint64_t>(1, ceil_div(f.m_elems, 4 * d));
  f.br = std::max<uint64_t>(1, std::min(f.bc, d));
  return f;
}

void KernelPlanner::plan_attention(const trace::Op& op, std::vector<KernelPlan>& out) {
  if (op.inputs.size() < 3 || op.outputs.empty()) {
    throw InputError("trace op " + quote_for_message(op.name) +
                     ": attention needs inputs Q, K, V and an output");
  }
  trace::DType t = op.inputs[0].dtype;
  if (rate_for(cfg_.compute.tensor_macs_per_cycle, t) <= 0 &&
      rate_for(cfg_.compute.vector_macs_per_cycle, t) <= 0) {
    no_unit(op, t);
  }
  if (cfg_.attention == AttentionImpl::flash) {
    plan_flash(op, out);
  } else {
    plan_standard(op, out);
  }
}

void KernelPlanner::plan_flash(const trace::Op& op, std::vector<KernelPlan>& out) {
  const trace::AttentionShape a = op.attn;
  const uint64_t batch = std::max<uint64_t>(1, a.batch), heads = std::max<uint64_t>(1, a.heads);
  const uint64_t kvh = std::max<uint64_t>(1, a.kv_heads),
                 group = std::max<uint64_t>(1, heads / kvh);
  const uint64_t d = a.head_dim, nq = a.q_len, nk = a.kv_len;
  const uint32_t e = elem_bytes(op.inputs[0].dtype);
  const FlashBlocks fb = flash_blocks(d, e);
  const uint64_t window = a.window;  // sliding window: KV blocks before it are never visited
  const HeadLayout q = layout(map_, op.inputs[0], a, heads, nq);
  const HeadLayout kk = layout(map_, op.inputs[1], a, kvh, nk);
  const HeadLayout vv = layout(map_, op.inputs[2], a, kvh, nk);
  const bool use_tensor = rate_for(cfg_.compute.tensor_macs_per_cycle, op.inputs[0].dtype) > 0;
  const uint64_t mma_m = use_tensor ? cfg_.gemm.mma_m : 1;
  const uint64_t bc = fb.bc, br = std::min(fb.br, std::max<uint64_t>(1, nq));
  const uint64_t j0 = a.first_key() / bc;
  const uint64_t tc = ceil_div(nk, bc) - j0, tr = ceil_div(nq, br);
  const bool causal = a.causal;
  // Split-KV (FlashDecoding): `splits` thread blocks per (sequence, head), each over a run of
  // consecutive KV blocks, keep fp32 partial O, l, m of their own; a reduction kernel combines
  // them into O.
  uint64_t splits = cfg_.flash.split_kv;
  if (splits == 0) {
    splits = batch * heads < cfg_.compute.units ? cfg_.compute.units / (batch * heads) : 1;
  }
  splits = std::clamp<uint64_t>(splits, 1, std::max<uint64_t>(1, tc));
  HeadLayout o = layout(map_, op.outputs[0], a, heads, nq);
  if (splits > 1) {
    const TensorLoc& part = map_.scratch("flash.partial", batch * heads * splits * nq * d * 4);
    o = HeadLayout{part.base, heads * splits, nq, d * 4, part.index};
  }
  // l and m: one fp32 pair per query row, kept in HBM between (i, j) steps (Algorithm 1).
  const TensorLoc lm = map_.scratch("flash.lm", batch * heads * splits * nq * 8);
  KernelPlan k;
  k.name = splits > 1 ? "flash_attn_fwd_splitkv" + std::to_string(splits) : "flash_attn_fwd";
  k.ctas = batch * heads * splits;
  k.stages = 2;
  k.occupancy = 1;  // the blocks are sized to fill the SRAM
  k.dtype = op.inputs[0].dtype;
  k.cta = [=](uint64_t idx, CtaWork& w) {
    uint64_t bh = idx / splits, sp = idx % splits;
    uint64_t b = bh / heads, h = bh % heads, g = h / group;
    uint64_t oh = h * splits + sp;  // the head (or head x split) of O, l, m this block writes
    double macs = 0, flops = 0, sfu = 0, smem_r = 0;
    uint64_t steps = 0, loaded = 0;
    auto lm_at = [&](uint64_t row) { return lm.base + ((b * heads * splits + oh) * nq + row) * 8; };
    // Line 2: O = 0, l = 0, m = -inf written to HBM.
    w.stores.push_back(Load{o.at(b, oh, 0), nq * o.row_bytes, o.tensor});
    w.stores.push_back(Load{lm_at(0), nq * 8, lm.index});
    for (uint64_t j = j0 + sp * tc / splits; j < j0 + (sp + 1) * tc / splits; ++j) {
      uint64_t c0 = j * bc, cols = std::min(bc, nk - c0);
      bool loaded_kv = false;
      for (uint64_t i = 0; i < tr; ++i) {
        uint64_t r0 = i * br, rows = std::min(br, nq - r0);
        // Query row r sits at key position nk - nq + r and sees keys up to it.
        if (causal && c0 > nk - nq + r0 + rows - 1) {
          continue;
        }
        // ... and, with a window, no row of the block reaches back to it.
        if (window > 0 && c0 + cols + window <= nk - nq + r0 + 1) {
          continue;
        }
        if (!loaded_kv) {  // lines 6: K_j, V_j to SRAM
          w.loads.push_back(Load{kk.at(b, g, c0), cols * kk.row_bytes, kk.tensor});
          w.loads.push_back(Load{vv.at(b, g, c0), cols * vv.row_bytes, vv.tensor});
          loaded += cols * (kk.row_bytes + vv.row_bytes);
          loaded_kv = true;
        }
        // Line 8: Q_i, O_i, l_i, m_i to SRAM; line 12-13: O_i, l_i, m_i back to HBM.
        w.loads.push_back(Load{q.at(b, h, r0), rows * q.row_bytes, q.tensor});
        w.loads.push_back(Load{o.at(b, oh, r0), rows * o.row_bytes, o.tensor});
        w.loads.push_back(Load{lm_at(r0), rows * 8, lm.index});
        loaded += rows * (q.row_bytes + o.row_bytes + 8);
        w.stores.push_back(Load{o.at(b, oh, r0), rows * o.row_bytes, o.tensor});
        w.stores.push_back(Load{lm_at(r0), rows * 8, lm.index});
        double pr = static_cast<double>(((rows + mma_m - 1) / mma_m) * mma_m);
        macs += 2.0 * pr * static_cast<double>(cols * d);  // S = Q K^T and P V
        flops += static_cast<double>(rows * cols) * 6.0 + static_cast<double>(rows * d) * 3.0;
        sfu += static_cast<double>(rows * cols);  // exp
        smem_r += static_cast<double>((rows + 2 * cols) * d * e + 2 * rows * o.row_bytes);
        ++steps;
      }
    }
    w.steps = std::max<uint64_t>(1, steps);
    double s = static_cast<double>(w.steps);
    if (use_tensor) {
      w.step.tensor_macs = macs / s;
    } else {
      w.step.vector_macs = macs / s;
    }
    w.step.vector_flops = flops / s;
    w.step.sfu_ops = sfu / s;
    w.step.smem_read = smem_r / s;
    w.step.smem_write = static_cast<double>(loaded) / s;
  };
  out.push_back(std::move(k));
  if (splits > 1) {
    // O = sum_s exp(m_s - m) l_s O_s / sum_s exp(m_s - m) l_s per row: read the partials and
    // their l, m, write O.
    const HeadLayout out_o = layout(map_, op.outputs[0], a, heads, nq);
    std::vector<Load> reads{Load{o.base, batch * heads * splits * nq * o.row_bytes, o.tensor},
                            Load{lm.base, batch * heads * splits * nq * 8, lm.index}};
    std::vector<Load> writes{Load{out_o.base, batch * heads * nq * out_o.row_bytes, out_o.tensor}};
    out.push_back(
        stream_kernel("flash_attn_combine", reads, {}, writes,
                      static_cast<double>(batch * heads * splits * nq * d),
                      ElementCost{3, 1.0 / static_cast<double>(std::max<uint64_t>(1, d))}));
  }
}

void KernelPlanner::plan_standard(const trace::Op& op, std::vector<KernelPlan>& out) {
  const trace::AttentionShape a = op.attn;
  const uint64_t batch = std::max<uint64_t>(1, a.batch), heads = std::max<uint64_t>(1, a.heads);
  const uint64_t kvh = std::max<uint64_t>(1, a.kv_heads),
                 group = std::max<uint64_t>(1, heads / kvh);
  // Keys before a sliding window's reach (first_key) are neither read nor computed.
  const uint64_t d = a.head_dim, nq = a.q_len, nk = a.keys(), k0 = a.first_key();
  const trace::DType dt = op.inputs[0].dtype;
  const uint32_t e = elem_bytes(dt);
  const HeadLayout q = layout(map_, op.inputs[0], a, heads, nq);
  const HeadLayout kk = layout(map_, op.inputs[1], a, kvh, a.kv_len);
  const HeadLayout vv = layout(map_, op.inputs[2], a, kvh, a.kv_len);
  const HeadLayout o = layout(map_, op.outputs[0], a, heads, nq);
  const uint64_t s_bytes = batch * heads * nq * nk * e;
  const TensorLoc s = map_.scratch("attn.S", s_bytes);
  const TensorLoc p = map_.scratch("attn.P", s_bytes);
  const uint64_t per_s = nq * nk * e;

  Gemm qk;  // S = Q K^T: B is K stored [N = keys, K = d]
  qk.name = "attn_qk";
  qk.op_name = op.name;
  qk.batch = batch * heads;
  qk.m = nq;
  qk.n = nk;
  qk.k = d;
  qk.dtype = dt;
  qk.a_bytes = qk.b_bytes = qk.c_bytes = e;
  qk.a_tensor = q.tensor;
  qk.b_tensor = kk.tensor;
  qk.c_tensor = s.index;
  qk.a_base = [q, heads](uint64_t bh) { return q.at(bh / heads, bh % heads, 0); };
  qk.b_base = [kk, heads, group, k0](uint64_t bh) {
    return kk.at(bh / heads, (bh % heads) / group, k0);
  };
  qk.c_base = [s, per_s](uint64_t bh) { return s.base + bh * per_s; };
  plan_gemm(qk, out);

  std::vector<Load> reads{Load{s.base, s_bytes, s.index}};
  std::vector<Load> writes{Load{p.base, s_bytes, p.index}};
  out.push_back(stream_kernel("attn_softmax", reads, {}, writes,
                              static_cast<double>(batch * heads * nq * nk),
                              element_cost(trace::OpKind::softmax)));

  Gemm pv;  // O = P V: B is V [K = keys, N = d], read as one band per head
  pv.name = "attn_pv";
  pv.op_name = op.name;
  pv.batch = batch * heads;
  pv.m = nq;
  pv.n = d;
  pv.k = nk;
  pv.dtype = dt;
  pv.a_bytes = pv.b_bytes = pv.c_bytes = e;
  pv.a_tensor = p.index;
  pv.b_tensor = vv.tensor;
  pv.c_tensor = o.tensor;
  pv.a_base = [p, per_s](uint64_t bh) { return p.base + bh * per_s; };
  pv.b_base = [vv, heads, group, k0](uint64_t bh) {
    return vv.at(bh / heads, (bh % heads) / group, k0);
  };
  pv.c_base = [o, heads](uint64_t bh) { return o.at(bh / heads, bh % heads, 0); };
  plan_gemm(pv, out);
}

}  // namespace cimsim::vn
