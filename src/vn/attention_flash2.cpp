// Attention kernel "flash2": FlashAttention-2 (Dao, arXiv 2307.08691) and, for decode steps,
// FlashDecoding's split-KV kernels, as the flash-attn library (v2, csrc/flash_attn) runs
// them on sm80.
//
// Prefill / encoder (flash_fwd_kernel): one thread block per (sequence, head, query block of
// Bm rows), launched query block fastest, then sequence, then head. A block loads Q_i once,
// loops over the K/V blocks of Bn rows its queries see (causal blocks beyond the diagonal are
// skipped), keeps O_i, l_i, m_i on chip, and writes O_i and the row log-sum-exp (fp32) once.
// Memory traffic per (sequence, head) with Tr = ceil(N / Bm) query blocks: Q and O once, K and
// V once per query block that sees them: N d e (2 + 2 Tr) + 4 N bytes without a mask (docs/vn.md).
// Block sizes: the library's choice for sm80 (flash_fwd_launch_template.h, run_mha_fwd_hdim*):
// d <= 64: 128 x 128; d <= 128: 128 x 64; d <= 256: 128 x 64 (64 x 64 when two blocks fit).
//
// Decode steps (flash_attn_with_kvcache -> flash_fwd_splitkv_kernel): Bm = 64 and
// Bn = 256 / 128 / 64 for d <= 64 / 128 / larger; the K/V blocks of a (sequence, head) are
// split over `splits` thread blocks, each writing fp32 partial O and log-sum-exp, which
// flash_fwd_splitkv_combine_kernel reduces into O. The split count is flash-attn's
// num_splits_heuristic (flash_api.cpp) over 2 x units thread-block slots (128 threads per
// block, two per SM): the smallest split within 85 % of the best wave efficiency, none if
// the (sequence, head, query block) count already reaches 80 % of the slots. With one query
// row and grouped-query heads, the heads sharing a K/V head are run as the rows of one block
// (flash-attn's seqlenq_ngroups_swapped), so K/V are read once per K/V head.
//
// A step of a thread block (one K/V block) is S = Q K_j^T, the online softmax and P V_j; the
// softmax depends on the first product and feeds the second, so a warp does not overlap them
// (FlashAttention-3, Shah et al. 2024, section 3.1: on A100/H100 the exponentials of FA-2 are
// not hidden behind the matmuls): the step takes the matrix-unit time plus the longer of the
// SIMD and SFU times. Non-matmul work per step as FA-2 counts it (section 3.1.1): per score
// the running max, the scaled subtraction and the running sum (3 FLOPs) and one exponential;
// per output element one rescale; the division by l once at the end.
#include <algorithm>
#include <cmath>

#include "attention_common.hpp"
#include "cimsim/common/checked_math.hpp"
#include "cimsim/vn/attention_kernel.hpp"
#include "cimsim/vn/config.hpp"

namespace cimsim::vn {
namespace {

struct Flash2Params {
  uint64_t block_m = 0;        // query rows per thread block (0: flash-attn's sm80 choice)
  uint64_t block_n = 0;        // K/V rows per step (0: flash-attn's sm80 choice)
  uint32_t decode_splits = 0;  // split-KV blocks per (sequence, head) in decode; 0: heuristic
  uint32_t warps = 4;          // warps per thread block (kNWarps of the sm80 kernel traits)
};

// flash-attn's num_splits_heuristic (csrc/flash_attn/flash_api.cpp), verbatim in effect.
uint64_t num_splits_heuristic(uint64_t batch_nheads_mblocks, uint64_t num_sms,
                              uint64_t num_n_blocks, uint64_t max_splits) {
  if (static_cast<double>(batch_nheads_mblocks) >= 0.8 * static_cast<double>(num_sms)) {
    return 1;
  }
  max_splits = std::min({max_splits, num_sms, num_n_blocks});
  auto eligible = [&](uint64_t s) {
    return s == 1 || ceil_div(num_n_blocks, s) != ceil_div(num_n_blocks, s - 1);
  };
  std::vector<float> eff(max_splits + 1, 0.0F);
  float best = 0;
  for (uint64_t s = 1; s <= max_splits; ++s) {
    if (!eligible(s)) {
      continue;
    }
    float waves = static_cast<float>(batch_nheads_mblocks * s) / static_cast<float>(num_sms);
    eff[s] = waves / std::ceil(waves);
    best = std::max(best, eff[s]);
  }
  for (uint64_t s = 1; s <= max_splits; ++s) {
    if (eligible(s) && eff[s] >= 0.85F * best) {
      return s;
    }
  }
  return 1;
}

// Where a (sequence, K/V head)'s key rows come from: the cache, and, with a fused KV-cache
// append, the op's new rows [first_new, kv_len) from the K/V activations.
struct KvRows {
  HeadLayout cache;
  HeadLayout fresh;
  uint64_t first_new = UINT64_MAX;
  void add(uint64_t b, uint64_t g, uint64_t c0, uint64_t cols, std::vector<Load>& out) const {
    uint64_t split = std::clamp(first_new, c0, c0 + cols);
    if (split > c0) {
      out.push_back(Load{cache.at(b, g, c0), (split - c0) * cache.row_bytes, cache.tensor});
    }
    if (c0 + cols > split) {
      out.push_back(Load{fresh.at(b, g, split - first_new), (c0 + cols - split) * fresh.row_bytes,
                         fresh.tensor});
    }
  }
};

class Flash2 final : public AttentionKernel {
 public:
  explicit Flash2(const Flash2Params& p) : p_(p) {}
  void plan(const trace::Op& op, const AttentionFusion& fused, KernelPlanner& planner,
            std::vector<KernelPlan>& out) const override;
  bool fuses_rope_and_append() const override { return true; }

 private:
  Flash2Params p_;
};

void Flash2::plan(const trace::Op& op, const AttentionFusion& fused, KernelPlanner& planner,
                  std::vector<KernelPlan>& out) const {
  const MachineConfig& cfg = planner.config();
  AddressMap& map = planner.map();
  const trace::AttentionShape a = op.attn;
  const uint64_t batch = std::max<uint64_t>(1, a.batch), heads = std::max<uint64_t>(1, a.heads);
  const uint64_t kvh = std::max<uint64_t>(1, a.kv_heads),
                 group = std::max<uint64_t>(1, heads / kvh);
  const uint64_t d = std::max<uint64_t>(1, a.head_dim), nq = a.q_len, nk = a.kv_len;
  const trace::DType dt = op.inputs[0].dtype;
  const uint32_t e = elem_bytes(dt);
  const bool use_tensor = rate_for(cfg.compute.tensor_macs_per_cycle, dt) > 0;
  const bool decode = op.phase.kind == trace::PhaseKind::decode;

  // Q as read: unrotated if RoPE is fused. K/V: the cache, with the appended rows from the
  // activations if the KV-cache append is fused.
  const trace::Tensor& q_in = fused.rope != nullptr ? fused.rope->inputs[0] : op.inputs[0];
  const HeadLayout q = head_layout(map, q_in, a, heads, nq);
  const HeadLayout o = head_layout(map, op.outputs[0], a, heads, nq);
  KvRows kr, vr;
  kr.cache = head_layout(map, op.inputs[1], a, kvh, nk);
  vr.cache = head_layout(map, op.inputs[2], a, kvh, nk);
  HeadLayout k_dest{}, v_dest{};
  if (fused.kv_write != nullptr) {
    const trace::Op& w = *fused.kv_write;
    const trace::Tensor& k_new = fused.rope != nullptr ? fused.rope->inputs[1] : w.inputs[0];
    kr.fresh = head_layout(map, k_new, a, kvh, nq);
    vr.fresh = head_layout(map, w.inputs[1], a, kvh, nq);
    kr.first_new = vr.first_new = nk - std::min(nq, nk);
    k_dest = head_layout(map, w.outputs[0], a, kvh, nk);
    v_dest = head_layout(map, w.outputs[1], a, kvh, nk);
  } else if (fused.rope != nullptr && op.inputs[1].kind != trace::TensorKind::kv_cache) {
    kr.cache = head_layout(map, fused.rope->inputs[1], a, kvh, nk);  // unrotated K
  }
  const bool rope = fused.rope != nullptr;
  const bool append = fused.kv_write != nullptr;

  // Grouped-query decode runs the heads of a K/V head as the rows of one block.
  const bool swapped = decode && nq == 1 && group > 1;
  const uint64_t heads_eff = swapped ? kvh : heads;
  const uint64_t rows_eff = swapped ? group : nq;
  uint64_t bm = 128, bn = d <= 64 ? 128 : 64;  // flash_fwd_kernel, sm80
  uint64_t splits = 1;
  if (decode) {
    bm = 64;
    bn = d <= 64 ? 256 : (d <= 128 ? 128 : 64);
    const uint64_t n_blocks = ceil_div(nk, bn) - a.first_key() / bn;
    splits = p_.decode_splits > 0
                 ? std::min<uint64_t>(p_.decode_splits, n_blocks)
                 : num_splits_heuristic(batch * heads_eff * ceil_div(rows_eff, bm),
                                        2 * uint64_t{cfg.compute.units}, n_blocks, 128);
    if (splits == 1) {
      bn = d <= 64 ? 128 : 64;  // run_mha_fwd_splitkv_align: the unsplit block size
    }
  }
  if (p_.block_m > 0) {
    bm = p_.block_m;
  }
  if (p_.block_n > 0) {
    bn = p_.block_n;
  }
  const uint64_t kernel_bm = bm;  // the compiled block (a partial one still runs all its rows)
  bm = std::min(bm, std::max<uint64_t>(1, rows_eff));
  const uint64_t tr = ceil_div(std::max<uint64_t>(1, rows_eff), bm);
  // Sliding window: KV blocks before the first key any query sees are never visited.
  const uint64_t window = a.window, j0 = a.first_key() / bn;
  const uint64_t tc = ceil_div(nk, bn) - j0;
  const uint64_t per_split = ceil_div(tc, splits);
  splits = std::max<uint64_t>(1, ceil_div(tc, per_split));

  // Split partials: fp32 O and log-sum-exp per (split, sequence, head, row).
  TensorLoc part{}, lse_part{};
  if (splits > 1) {
    part = map.scratch("flash2.oaccum", splits * batch * heads * nq * d * 4);
    lse_part = map.scratch("flash2.lseaccum", splits * batch * heads * nq * 4);
  }
  const TensorLoc lse = map.scratch("flash2.lse", batch * heads * nq * 4);
  const uint64_t smem = (bm + 2 * bn) * d * e;
  const uint64_t warps = std::max<uint32_t>(1, p_.warps);
  const bool causal = a.causal;
  const ElementCost rope_cost = element_cost(trace::OpKind::rope);

  KernelPlan k;
  k.name = decode
               ? (splits > 1 ? "flash_fwd_splitkv" + std::to_string(splits) : "flash_fwd_splitkv")
               : "flash_fwd";
  k.ctas = tr * splits * batch * heads_eff;
  k.stages = 2;  // K/V of the next block loads while this one computes
  k.occupancy = static_cast<uint32_t>(std::clamp<uint64_t>(
      cfg.smem.capacity_bytes / std::max<uint64_t>(1, smem), 1, cfg.compute.max_ctas_per_unit));
  k.dtype = dt;
  k.serial_matmul = true;
  const MachineConfig* machine = &cfg;  // outlives the plan
  k.cta = [=](uint64_t idx, CtaWork& w) {
    const uint64_t i = idx % tr, sp = (idx / tr) % splits, bh = idx / (tr * splits);
    // Launch order: query block fastest, then split (decode) or sequence, then head.
    const uint64_t b = decode ? bh / heads_eff : bh % batch;
    const uint64_t h = decode ? bh % heads_eff : bh / batch;  // head, or K/V head if swapped
    const uint64_t g = swapped ? h : h / group;
    const uint64_t r0 = i * bm, rows = std::min(bm, rows_eff - r0);
    // Q rows of this block: swapped, the group's heads (contiguous for one query row).
    const uint64_t q_addr = swapped ? q.at(b, g * group + r0, 0) : q.at(b, h, r0);
    const uint64_t o_addr = swapped ? o.at(b, g * group + r0, 0) : o.at(b, h, r0);
    w.loads.push_back(Load{q_addr, rows * q.row_bytes, q.tensor});
    uint64_t loaded = rows * q.row_bytes, steps = 0;
    double macs = 0, flops = 0, sfu = 0, smem_r = 0;
    if (rope) {  // rotate the Q rows once
      flops += static_cast<double>(rows * d) * rope_cost.flops;
      sfu += static_cast<double>(rows * d) * rope_cost.sfu;
    }
    // Key positions these query rows see: query r sits at key position nk - nq + r.
    const uint64_t last_key = swapped || !causal ? nk : std::min(nk, nk - nq + r0 + rows);
    // With a window, the block's first row sees keys from first_seen on.
    const uint64_t first_row_pos = nk - nq + (swapped ? 0 : r0) + 1;
    const uint64_t first_seen = window > 0 && first_row_pos > window ? first_row_pos - window : 0;
    const uint64_t j1 =
        std::min(j0 + tc, std::min(j0 + (sp + 1) * per_split, ceil_div(last_key, bn)));
    for (uint64_t j = j0 + sp * per_split; j < j1; ++j) {
      const uint64_t c0 = j * bn, cols = std::min(bn, nk - c0);
      if (c0 + cols <= first_seen) {
        continue;
      }
      kr.add(b, g, c0, cols, w.loads);
      vr.add(b, g, c0, cols, w.loads);
      loaded += cols * (kr.cache.row_bytes + vr.cache.row_bytes);
      macs += attention_block_macs(*machine, use_tensor, kernel_bm, bn, rows, cols, d);
      flops += static_cast<double>(rows * cols) * 3.0 + static_cast<double>(rows * d);
      sfu += static_cast<double>(rows * cols);
      if (rope && c0 + cols > kr.first_new) {  // rotate the new K rows of this block
        const uint64_t fresh = c0 + cols - std::max(c0, std::min(kr.first_new, c0 + cols));
        flops += static_cast<double>(fresh * d) * rope_cost.flops;
        sfu += static_cast<double>(fresh * d) * rope_cost.sfu;
      }
      // Every warp reads its Q rows and the whole K_j and V_j from shared memory.
      smem_r += static_cast<double>(rows * d * e + warps * 2 * cols * d * e);
      ++steps;
    }
    w.steps = std::max<uint64_t>(1, steps);
    const double s = static_cast<double>(w.steps);
    if (use_tensor) {
      w.step.tensor_macs = macs / s;
    } else {
      w.step.vector_macs = macs / s;
    }
    w.step.vector_flops = flops / s;
    w.step.sfu_ops = sfu / s;
    w.step.smem_read = smem_r / s;
    w.step.smem_write = static_cast<double>(loaded) / s;
    // Epilogue: O / l, then O (or the fp32 partial) and the log-sum-exp.
    w.epilogue.vector_flops = static_cast<double>(rows * d);
    const uint64_t head_row = swapped ? g * group + r0 : h;
    if (splits > 1) {
      const uint64_t prow = ((sp * batch + b) * heads + head_row) * nq + (swapped ? 0 : r0);
      w.stores.push_back(Load{part.base + prow * d * 4, rows * d * 4, part.index});
      w.stores.push_back(Load{lse_part.base + prow * 4, rows * 4, lse_part.index});
      w.epilogue.smem_write = static_cast<double>(rows * d * 4);
    } else {
      w.stores.push_back(Load{o_addr, rows * o.row_bytes, o.tensor});
      const uint64_t lrow = (b * heads + head_row) * nq + (swapped ? 0 : r0);
      w.stores.push_back(Load{lse.base + lrow * 4, rows * 4, lse.index});
      w.epilogue.smem_write = static_cast<double>(rows * o.row_bytes);
    }
    // The fused KV-cache append: the block that owns the last K/V block of the first head of
    // a K/V head writes the new rows (flash_attn_with_kvcache appends them in the kernel).
    if (append && i + 1 == tr && (swapped || h % group == 0) && j1 == tc) {
      const uint64_t n_new = nk - kr.first_new;
      w.stores.push_back(
          Load{k_dest.at(b, g, kr.first_new), n_new * k_dest.row_bytes, k_dest.tensor});
      w.stores.push_back(
          Load{v_dest.at(b, g, vr.first_new), n_new * v_dest.row_bytes, v_dest.tensor});
    }
  };
  out.push_back(std::move(k));
  if (splits > 1) {
    std::vector<Load> reads{Load{part.base, splits * batch * heads * nq * d * 4, part.index},
                            Load{lse_part.base, splits * batch * heads * nq * 4, lse_part.index}};
    std::vector<Load> writes{Load{o.base, batch * heads * nq * o.row_bytes, o.tensor}};
    out.push_back(combine_kernel(planner, reads, writes,
                                 static_cast<double>(splits * batch * heads * nq * d), d));
  }
}

}  // namespace
}  // namespace cimsim::vn

namespace cimsim::config {
template <>
struct Describe<vn::Flash2Params> {
  static constexpr const char* doc = "FlashAttention-2 and FlashDecoding (flash-attn v2, sm80)";
  static void fields(Fields<vn::Flash2Params>& f) {
    f.optional("block_m", &vn::Flash2Params::block_m,
               "query rows per thread block (0: flash-attn's sm80 choice for the head dimension)");
    f.optional("block_n", &vn::Flash2Params::block_n,
               "K/V rows per main-loop step (0: flash-attn's sm80 choice)");
    f.optional("decode_splits", &vn::Flash2Params::decode_splits,
               "thread blocks per (sequence, head) over the KV cache in decode steps, combined by "
               "a reduction kernel (FlashDecoding); 0: flash-attn's num_splits_heuristic, 1: no "
               "split",
               in_range(0, 128));
    f.optional("warps", &vn::Flash2Params::warps,
               "warps per thread block (each reads K and V from shared memory)", in_range(1, 32));
  }
};
}  // namespace cimsim::config

namespace cimsim::vn {
CIMSIM_REGISTER(AttentionAxis, Flash2Params, "flash2",
                "FlashAttention-2 (Dao 2023): one thread block per (sequence, head, query block), "
                "K/V loop inside, O on chip; split-KV (FlashDecoding) in decode steps",
                [](const Flash2Params& p) { return std::make_unique<Flash2>(p); });
}  // namespace cimsim::vn
