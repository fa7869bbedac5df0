// What the two array policies (sram_cim, write_xbar) share: K^T and V written into CIM arrays
// (new columns of K^T, new rows of V), then MVMs with Q and the softmax probabilities as
// inputs; the softmax runs on the vector units between the two. The arrays compute every
// stored position (no causal skipping). When every layer's cache fits the arrays it stays
// there (kv_write writes only the new positions); otherwise, and always in encoder and ENTP
// mode, every attention op writes the K and V it needs, in rounds if the arrays are too few.
#pragma once

#include <cstdint>
#include <vector>

#include "cimsim/cim/config.hpp"
#include "cimsim/cim/dynamic_policy.hpp"
#include "cimsim/cim/mvm.hpp"

namespace cimsim::cim {

// Geometry of the CIM arrays that hold one layer's K^T and V.
struct KvArrays {
  uint64_t k_arrays_per_head = 0;  // K^T: ceil(head_dim / rows) x ceil(positions x cells / cols)
  uint64_t v_arrays_per_head = 0;  // V:   ceil(positions / rows) x ceil(head_dim x cells / cols)
  uint64_t arrays_per_layer = 0;   // (K + V) x kv_heads x batch
};

// One array technology described in the crossbar vocabulary of the config: the weight
// crossbars (write_xbar) or the SRAM CIM arrays (sram_as_crossbar).
class ArrayModel {
 public:
  ArrayModel(const CimConfig& described, uint32_t value_bits, uint32_t input_bits);
  uint32_t rows() const { return cfg_.crossbar.rows; }
  uint32_t cols() const { return cfg_.crossbar.cols; }
  uint32_t cells_per_value() const { return cells_; }
  KvArrays geometry(uint64_t positions, uint64_t head_dim, uint64_t kv_heads, uint64_t batch) const;
  // One MVM pass of `vectors` inputs over a k x n operand spread over arrays in parallel.
  MvmTiming mvm_timing(uint64_t k, uint64_t n) const;
  MvmCounts mvm_counts(uint64_t k, uint64_t n) const;  // per input vector

 private:
  CimConfig cfg_;
  uint32_t cells_ = 1;
  MvmModel model_;
};

// The SRAM CIM arrays of a config as crossbars: 1-bit cells, bit-serial 1-bit inputs, one
// step per cycle, digital adder-tree readout.
CimConfig sram_as_crossbar(const CimConfig& c);

class ArrayPolicy : public DynamicPolicy {
 public:
  ArrayPolicy(const CimConfig& config, const CimConfig& described, uint32_t activation_bits);

  bool place_in_arrays(const trace::AttentionShape* first, uint64_t positions, uint32_t tiles,
                       std::vector<KvStore>& stores) const override;
  uint32_t chips_for_kv(const CimConfig& c, const trace::AttentionShape* first, uint64_t positions,
                        uint64_t layers, uint64_t kv_bytes) const override;
  // Caches not resident in the arrays.
  uint64_t kv_misplaced(const std::vector<KvStore>& stores) const override;
  Window attention(FabricServices& fabric, AttentionJob& job) override;
  const char* attention_bound() const override { return "dynamic_cim"; }
  Window kv_write(FabricServices& fabric, KvStore& store, const trace::AttentionShape& a,
                  const Window& arrived) override;
  Window batched_matmul(FabricServices& fabric, const BatchedJob& job) override;

 protected:
  const ArrayModel& arrays() const { return arrays_; }
  // The technology's specifics.
  virtual KvLevel level() const = 0;
  virtual uint64_t arrays_per_tile() const = 0;
  virtual uint64_t arrays_in_system(uint32_t tiles) const = 0;
  // Arrays a chip adds for the KV caches (0: they come from the reservation instead).
  virtual uint64_t arrays_per_chip() const = 0;
  virtual uint32_t tile_of_array_block(uint64_t block) const = 0;  // block of arrays_per_tile
  virtual TileJob::Resource resource() const = 0;
  virtual double row_write_ns() const = 0;
  virtual void count_writes(FabricServices& fabric, uint64_t cells, uint64_t rows) = 0;
  virtual void count_mvms(FabricServices& fabric, const MvmCounts& m) = 0;
  // K/V written outside a resident cache (rewritten every op).
  virtual void scratch_written(uint64_t) {}

  const CimConfig& cfg_;

 private:
  // One dynamic operand (k x n per instance, `instances` of them in parallel) in the arrays:
  // writing new columns (K^T style) or rows (V style), then `vectors` inputs per instance.
  struct Cost {
    uint64_t write_ps = 0, mvm_ps = 0, arrays = 0, cells_written = 0;
  };
  Cost matmul(FabricServices& fabric, uint64_t k, uint64_t n, uint64_t vectors, uint64_t instances,
              uint64_t new_cols, uint64_t new_rows);
  Window reserve(FabricServices& fabric, const std::vector<uint32_t>& tiles, const Window& in,
                 uint64_t round_ps, uint64_t rounds) const;
  uint64_t available(const std::vector<uint32_t>& tiles) const;

  ArrayModel arrays_;
};

}  // namespace cimsim::cim
