// Attention kernel "flash": FlashAttention Algorithm 1 (Dao et al., arXiv 2205.14135). For an
// SRAM of M elements, Bc = ceil(M / 4d), Br = min(ceil(M / 4d), d). One thread block per
// (sequence, head), as in the paper's implementation, runs the outer loop over K/V blocks and
// the inner loop over query blocks: it writes O, l, m once, then for each K/V block j loads
// K_j, V_j and, for each query block i that the causal mask does not skip, reads Q_i, O_i,
// l_i, m_i and writes O_i, l_i, m_i back. S and P stay on chip. Traffic to the next level is
// exactly the paper's Theta(N^2 d^2 / M) (tests/vn/test_attention.cpp).
//
// split_kv (FlashDecoding): each (sequence, head) runs as that many thread blocks over
// consecutive runs of K/V blocks, each keeping fp32 partial O, l, m; a combine kernel reads
// them and writes O. 0 picks floor(units / (batch x heads)) when there are fewer (sequence,
// head) pairs than units, capped at the number of K/V blocks.
#include <algorithm>

#include "attention_common.hpp"
#include "cimsim/common/checked_math.hpp"
#include "cimsim/vn/attention_kernel.hpp"
#include "cimsim/vn/config.hpp"

namespace cimsim::vn {
namespace {

struct FlashParams {
  // On-chip SRAM the blocks are sized for, in bytes (0: the whole shared memory).
  uint64_t sram_bytes = 0;
  // Thread blocks per (sequence, head); 1: no split (Algorithm 1), 0: enough to fill the units.
  uint32_t split_kv = 1;
};

struct FlashBlocks {
  uint64_t m_elems = 0, bc = 0, br = 0;
};

class Flash final : public AttentionKernel {
 public:
  explicit Flash(const FlashParams& p) : p_(p) {}

  void check(const MachineConfig& m, const config::Check& k) const override {
    if (p_.sram_bytes > m.smem.capacity_bytes) {
      k.fail("attention.sram_bytes",
             "expected at most smem.capacity_bytes = " + std::to_string(m.smem.capacity_bytes) +
                 ", got " + std::to_string(p_.sram_bytes));
    }
  }

  void plan(const trace::Op& op, const AttentionFusion& fused, KernelPlanner& planner,
            std::vector<KernelPlan>& out) const override;

 private:
  FlashBlocks blocks(const MachineConfig& cfg, uint64_t head_dim, uint32_t elem) const {
    uint64_t sram = p_.sram_bytes > 0 ? p_.sram_bytes : cfg.smem.capacity_bytes;
    FlashBlocks f;
    f.m_elems = sram / std::max<uint32_t>(1, elem);
    uint64_t d = std::max<uint64_t>(1, head_dim);
    f.bc = std::max<uint64_t>(1, ceil_div(f.m_elems, 4 * d));
    f.br = std::max<uint64_t>(1, std::min(f.bc, d));
    return f;
  }

  FlashParams p_;
};

void Flash::plan(const trace::Op& op, const AttentionFusion& /*fused*/, KernelPlanner& planner,
                 std::vector<KernelPlan>& out) const {
  const MachineConfig& cfg = planner.config();
  AddressMap& map = planner.map();
  const trace::AttentionShape a = op.attn;
  const uint64_t batch = std::max<uint64_t>(1, a.batch), heads = std::max<uint64_t>(1, a.heads);
  const uint64_t kvh = std::max<uint64_t>(1, a.kv_heads),
                 group = std::max<uint64_t>(1, heads / kvh);
  const uint64_t d = a.head_dim, nq = a.q_len, nk = a.kv_len;
  const uint32_t e = elem_bytes(op.inputs[0].dtype);
  const FlashBlocks fb = blocks(cfg, d, e);
  const HeadLayout q = head_layout(map, op.inputs[0], a, heads, nq);
  const HeadLayout kk = head_layout(map, op.inputs[1], a, kvh, nk);
  const HeadLayout vv = head_layout(map, op.inputs[2], a, kvh, nk);
  const bool use_tensor = rate_for(cfg.compute.tensor_macs_per_cycle, op.inputs[0].dtype) > 0;
  const uint64_t bc = fb.bc, br = std::min(fb.br, std::max<uint64_t>(1, nq));
  // Sliding window: KV blocks before the first key any query sees are never visited.
  const uint64_t window = a.window, j0 = a.first_key() / bc;
  const uint64_t tc = ceil_div(nk, bc) - j0, tr = ceil_div(nq, br);
  const bool causal = a.causal;
  uint64_t splits = p_.split_kv;
  if (splits == 0) {
    splits = batch * heads < cfg.compute.units ? cfg.compute.units / (batch * heads) : 1;
  }
  splits = std::clamp<uint64_t>(splits, 1, std::max<uint64_t>(1, tc));
  HeadLayout o = head_layout(map, op.outputs[0], a, heads, nq);
  if (splits > 1) {
    const TensorLoc& part = map.scratch("flash.partial", batch * heads * splits * nq * d * 4);
    o = HeadLayout{part.base, heads * splits, nq, d * 4, part.index};
  }
  // l and m: one fp32 pair per query row, kept in HBM between (i, j) steps (Algorithm 1).
  const TensorLoc lm = map.scratch("flash.lm", batch * heads * splits * nq * 8);
  KernelPlan k;
  k.name = splits > 1 ? "flash_attn_fwd_splitkv" + std::to_string(splits) : "flash_attn_fwd";
  k.ctas = batch * heads * splits;
  k.stages = 2;
  k.occupancy = 1;  // the blocks are sized to fill the SRAM
  k.dtype = op.inputs[0].dtype;
  const MachineConfig* machine = &cfg;  // outlives the plan
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
        macs += attention_block_macs(*machine, use_tensor, br, bc, rows, cols, d);
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
    const HeadLayout out_o = head_layout(map, op.outputs[0], a, heads, nq);
    std::vector<Load> reads{Load{o.base, batch * heads * splits * nq * o.row_bytes, o.tensor},
                            Load{lm.base, batch * heads * splits * nq * 8, lm.index}};
    std::vector<Load> writes{Load{out_o.base, batch * heads * nq * out_o.row_bytes, out_o.tensor}};
    out.push_back(combine_kernel(planner, reads, writes,
                                 static_cast<double>(batch * heads * splits * nq * d), d));
  }
}

}  // namespace
}  // namespace cimsim::vn

namespace cimsim::config {
template <>
struct Describe<vn::FlashParams> {
  static constexpr const char* doc = "FlashAttention Algorithm 1 (Dao et al. 2022)";
  static void fields(Fields<vn::FlashParams>& f) {
    f.optional("sram_bytes", &vn::FlashParams::sram_bytes,
               "SRAM size M the blocks are sized for, in bytes (0: smem.capacity_bytes)");
    f.optional("split_kv", &vn::FlashParams::split_kv,
               "thread blocks per (sequence, head), each over a share of the KV blocks, combined "
               "by a reduction kernel (FlashDecoding); 1: no split, 0: enough to fill the units",
               in_range(0, 1024));
  }
};
}  // namespace cimsim::config

namespace cimsim::vn {
CIMSIM_REGISTER(AttentionAxis, FlashParams, "flash",
                "FlashAttention Algorithm 1 (Dao et al. 2022): one thread block per (sequence, "
                "head), K/V outer loop, O, l, m through memory; optional split-KV",
                [](const FlashParams& p) { return std::make_unique<Flash>(p); });
}  // namespace cimsim::vn
