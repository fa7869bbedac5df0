// Dynamic-matmul policy "write_xbar": K^T and V are programmed into a pool of ReRAM crossbars
// reserved after the weights (write-verify time and energy, wear per cell), and the MVMs then
// run like weight MVMs (DACs, ADCs). The pool holds every layer's cache at full length when
// there is one, else the largest layer's K and V of one pass (reused by every layer, writes
// spread round-robin so wear is even).
#include <algorithm>
#include <cmath>

#include "cimsim/cim/dynamic_arrays.hpp"
#include "cimsim/common/checked_math.hpp"

namespace cimsim::cim {
namespace {

class WriteXbarPolicy final : public ArrayPolicy {
 public:
  explicit WriteXbarPolicy(const PolicySetup& s)
      : ArrayPolicy(*s.config, *s.config, s.activation_bits) {}

  DynamicReservation reserve(const trace::AttentionShape* attn, uint64_t positions,
                             uint64_t layers) const override {
    if (attn == nullptr) {
      return {};
    }
    KvArrays g = arrays().geometry(std::max<uint64_t>(attn->kv_len, positions), attn->head_dim,
                                   attn->kv_heads, attn->batch);
    return {ceil_div(g.arrays_per_layer * layers, cfg_.pe.crossbars), true};
  }
  void attach_pool(const std::vector<uint32_t>& tiles, uint64_t cells) override {
    pool_ = tiles;
    pool_cells_ = cells;
  }
  std::vector<uint32_t> exec_tiles(const ExecCandidates& c) const override {
    if (c.store != nullptr &&
        (c.store->level == KvLevel::tile_buffer || is_array_level(c.store->level))) {
      return c.store->tiles;
    }
    if (!pool_.empty()) {
      return pool_;
    }
    return DynamicPolicy::exec_tiles(c);
  }
  void worst_wear(const std::vector<KvStore>& stores, uint64_t& worst,
                  std::string& where) const override {
    for (const auto& s : stores) {
      if (s.max_writes() > worst) {
        worst = s.max_writes();
        where = "KV cache crossbars of layer " + std::to_string(s.layer);
      }
    }
    if (pool_cells_ > 0) {
      uint64_t pool = ceil_div(pool_cell_writes_, pool_cells_);
      if (pool > worst) {
        worst = pool;
        where = "write_xbar pool (K/V rewritten every op, writes spread round-robin)";
      }
    }
  }

 protected:
  KvLevel level() const override { return KvLevel::crossbar; }
  uint64_t arrays_per_tile() const override { return uint64_t{cfg_.pe.crossbars} * cfg_.tile.pes; }
  uint64_t arrays_in_system(uint32_t) const override { return pool_.size() * arrays_per_tile(); }
  uint64_t arrays_per_chip() const override { return 0; }  // the reservation holds the caches
  uint32_t tile_of_array_block(uint64_t block) const override { return pool_.at(block); }
  TileJob::Resource resource() const override { return TileJob::Resource::pes; }
  double row_write_ns() const override { return program_cost(cfg_).row_ns; }
  void count_writes(FabricServices& fabric, uint64_t cells, uint64_t rows) override {
    const ProgramCost k = program_cost(cfg_);
    const Actions& ids = fabric.ids();
    auto& n = fabric.counts().actions;
    n[ids.xbar_program_cell] +=
        static_cast<uint64_t>(std::llround(static_cast<double>(cells) * k.cell_pulses));
    if (cfg_.crossbar.program.verify_ns > 0) {
      n[ids.xbar_verify_row] +=
          static_cast<uint64_t>(std::llround(static_cast<double>(rows) * k.row_iterations));
    }
    stats_.bits += cells * cfg_.crossbar.bits_per_cell;
  }
  void count_mvms(FabricServices& fabric, const MvmCounts& m) override {
    add_mvm_actions(fabric.ids(), fabric.counts().actions, m);
  }
  void scratch_written(uint64_t cells) override { pool_cell_writes_ += cells; }

 private:
  std::vector<uint32_t> pool_;
  uint64_t pool_cells_ = 0, pool_cell_writes_ = 0;
};

}  // namespace

CIMSIM_REGISTER(DynamicMatmulAxis, config::NoParams, "write_xbar",
                "K^T and V programmed into a pool of ReRAM crossbars after the weights",
                [](const config::NoParams&,
                   const PolicySetup& s) -> std::unique_ptr<DynamicPolicy> {
                  return std::make_unique<WriteXbarPolicy>(s);
                });

}  // namespace cimsim::cim
