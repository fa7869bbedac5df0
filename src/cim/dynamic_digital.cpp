// Dynamic-matmul policy "digital": QK^T and PV as multiply-accumulates on the vector units of
// the tiles that hold the KV cache (else of the tiles holding the layer's weights, heads
// spread over them); K and V are read from the tile buffers, the global buffer or off-chip
// memory, wherever the cache lives.
#include "cimsim/cim/dynamic_policy.hpp"

#include <algorithm>

#include "cimsim/common/checked_math.hpp"

namespace cimsim::cim {
namespace {

uint64_t digital_share(uint64_t n, size_t parts) {
  return ceil_div(n, std::max<size_t>(1, parts));
}

class DigitalPolicy final : public DynamicPolicy {
 public:
  Window attention(FabricServices& fabric, AttentionJob& job) override {
    const trace::AttentionShape& a = *job.shape;
    const uint64_t rows = std::max<uint64_t>(1, a.q_len * a.batch);
    const size_t n = job.exec.size();
    AttentionWork w = attention_work(a);
    Window out;
    for (size_t i = 0; i < n; ++i) {
      TileJob t;
      t.kind = TileJob::Kind::vector;
      t.rows = rows;
      t.mix.mac = digital_share(w.macs, n);
      t.mix.exp = digital_share(w.exps, n);
      t.mix.add = digital_share(w.adds, n);
      t.mix.mul = digital_share(w.muls, n);
      t.mix.div = digital_share(w.divs, n);
      t.read_bytes = digital_share(job.kv_bytes + job.q_bytes, n);
      t.write_bytes = digital_share(job.out_bytes, n);
      t.in = job.q_ready[i].merge(job.kv_ready);
      Window done = fabric.tile_job(job.exec[i], t);
      out = i == 0 ? done : out.merge(done);
    }
    return out;
  }
  const char* attention_bound() const override { return "compute"; }

  Window batched_matmul(FabricServices& fabric, const BatchedJob& job) override {
    const trace::MatmulShape& mm = *job.shape;
    const size_t n = job.exec.size();
    uint64_t macs = checked_mul(checked_mul(mm.batch * mm.m, mm.n, "MACs"), mm.k, "MACs");
    Window out;
    for (size_t i = 0; i < n; ++i) {
      TileJob t;
      t.kind = TileJob::Kind::vector;
      t.rows = std::max<uint64_t>(1, mm.m * mm.batch);
      t.mix.mac = digital_share(macs, n);
      t.read_bytes = digital_share(job.read_bytes, n);
      t.write_bytes = digital_share(job.write_bytes, n);
      t.in = job.in;
      Window w = fabric.tile_job(job.exec[i], t);
      out = i == 0 ? w : out.merge(w);
    }
    return out;
  }
};

}  // namespace

CIMSIM_REGISTER(DynamicMatmulAxis, config::NoParams, "digital",
                "QK^T and PV as multiply-accumulates on the tiles' vector units",
                [](const config::NoParams&, const PolicySetup&) -> std::unique_ptr<DynamicPolicy> {
                  return std::make_unique<DigitalPolicy>();
                });

}  // namespace cimsim::cim
