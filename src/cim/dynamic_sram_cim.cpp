// Dynamic-matmul policy "sram_cim": K^T and V are written into the SRAM CIM arrays of the
// tiles (machine.sram_cim: bit-serial inputs, digital adder tree) at SRAM write cost, and Q and
// the softmax probabilities are the inputs. SRAM does not wear.
#include "cimsim/cim/dynamic_arrays.hpp"
#include "cimsim/common/checked_math.hpp"

namespace cimsim::cim {
namespace {

class SramCimPolicy final : public ArrayPolicy {
 public:
  explicit SramCimPolicy(const PolicySetup& s)
      : ArrayPolicy(*s.config, sram_as_crossbar(*s.config), s.activation_bits) {}

  void check(const CimConfig& c, const config::Check& check) const override {
    if (c.sram_cim.arrays_per_tile == 0) {
      check.fail("sram_cim.arrays_per_tile",
                 "expected at least 1 when dynamic_matmul is \"sram_cim\", got 0");
    }
  }
  void add_budget(const CimConfig& c, std::vector<BudgetItem>& b) const override {
    const auto& s = c.sram_cim;  // the arrays exist only for this policy
    b.push_back(BudgetItem{"sram_cim", "tile", static_cast<double>(s.arrays_per_tile), s.power_mw,
                           s.static_mw, s.area_mm2, s.extension});
  }

 protected:
  KvLevel level() const override { return KvLevel::sram_cim; }
  uint64_t arrays_per_tile() const override { return cfg_.sram_cim.arrays_per_tile; }
  uint64_t arrays_in_system(uint32_t tiles) const override {
    return uint64_t{cfg_.sram_cim.arrays_per_tile} * tiles;
  }
  uint64_t arrays_per_chip() const override {
    return uint64_t{cfg_.sram_cim.arrays_per_tile} * cfg_.chip.tiles;
  }
  uint32_t tile_of_array_block(uint64_t block) const override {
    return static_cast<uint32_t>(block);
  }
  TileJob::Resource resource() const override { return TileJob::Resource::sram_cim; }
  double row_write_ns() const override { return cfg_.sram_cim.write_ns_per_row; }
  void count_writes(FabricServices& fabric, uint64_t cells, uint64_t) override {
    const Actions& ids = fabric.ids();
    fabric.counts().actions[ids.sram_write_bit] += cells;
    fabric.counts().write_bytes[ids.sram_cim] += ceil_div(cells, 8);
    stats_.bits += cells;
  }
  void count_mvms(FabricServices& fabric, const MvmCounts& m) override {
    fabric.counts().actions[fabric.ids().sram_row_step] += m.row_reads;
  }
};

}  // namespace

CIMSIM_REGISTER(DynamicMatmulAxis, config::NoParams, "sram_cim",
                "K^T and V written into SRAM CIM arrays of the tiles (machine.sram_cim)",
                [](const config::NoParams&,
                   const PolicySetup& s) -> std::unique_ptr<DynamicPolicy> {
                  return std::make_unique<SramCimPolicy>(s);
                });

}  // namespace cimsim::cim
