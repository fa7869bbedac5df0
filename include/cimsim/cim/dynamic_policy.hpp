// The dynamic-matmul policy (machine.dynamic_matmul): where attention's QK^T and PV run, whose
// operands (K, V) change every token and cannot live in pre-programmed crossbars.
//
// One interface, one file per implementation (registered on DynamicMatmulAxis, axes.hpp):
//   digital     dynamic_digital.cpp     multiply-accumulates on the tiles' vector units
//   sram_cim    dynamic_sram_cim.cpp    K^T and V written into SRAM CIM arrays (no wear)
//   write_xbar  dynamic_write_xbar.cpp  K^T and V programmed into a pool of ReRAM crossbars
// The two array policies share ArrayPolicy (dynamic_arrays.hpp). A policy answers the
// fabric's questions at each stage: planning (crossbars to reserve for K and V), KV placement
// (can every layer's cache live in its arrays?), op dispatch (where an attention op runs and
// what it costs, what a kv_write into its arrays costs, a batched matmul), and reporting (its
// budget items, dynamic writes, wear). It reaches the tiles only through FabricServices, so
// timing stays in the tiles' reservations (and may become event-driven there).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cimsim/cim/axes.hpp"
#include "cimsim/cim/dynamic.hpp"
#include "cimsim/cim/energy.hpp"
#include "cimsim/cim/noc.hpp"
#include "cimsim/cim/tile.hpp"
#include "cimsim/config/describe.hpp"
#include "cimsim/trace/op.hpp"

namespace cimsim::cim {

// What a policy may ask of the fabric while it costs an op.
class FabricServices {
 public:
  virtual ~FabricServices() = default;
  virtual Window tile_job(uint32_t tile, TileJob& job) = 0;
  virtual stats::Counts& counts() = 0;  // the actions of the op being costed
  virtual const Actions& ids() const = 0;
  virtual uint64_t cycle_ps() const = 0;
};

struct PolicySetup {
  const CimConfig* config = nullptr;
  uint32_t activation_bits = 16;  // K, V, Q and probabilities as fixed point
};

// Crossbars (PEs) a policy wants for K and V next to the weights.
struct DynamicReservation {
  uint64_t pes = 0;
  bool required = false;  // chips "auto" must make room for them
};

// Where an op could run, for the policy to choose.
struct ExecCandidates {
  const KvStore* store = nullptr;                // the layer's KV cache, if any
  const std::vector<uint32_t>* pool = nullptr;   // tiles reserved for K and V (write_xbar)
  const std::vector<uint32_t>* layer = nullptr;  // tiles holding the layer's weights
  std::vector<uint32_t> input;                   // tiles where the input lies
};

// An attention op once its inputs are on their way to the tiles that run it.
struct AttentionJob {
  const trace::AttentionShape* shape = nullptr;
  KvStore* store = nullptr;  // nullptr: no cache (encoder, ENTP): K and V are this pass's
  bool resident = false;     // K and V already sit in the policy's arrays
  std::vector<uint32_t> exec;
  std::vector<Window> q_ready;  // per exec tile
  Window kv_ready;
  uint64_t q_bytes = 0, kv_bytes = 0, out_bytes = 0;
};

// A batched matmul out[b] = A[b] x B[b] of two activations (the split form of attention).
struct BatchedJob {
  const trace::MatmulShape* shape = nullptr;
  std::vector<uint32_t> exec;
  Window in;
  uint64_t read_bytes = 0, write_bytes = 0;
};

struct DynamicStats {
  uint64_t cells = 0, bits = 0, rows = 0, rounds = 0;
};

class DynamicPolicy {
 public:
  virtual ~DynamicPolicy() = default;

  // Config checks the policy needs (arrays to write into, ...).
  virtual void check(const CimConfig&, const config::Check&) const {}
  // Budget items of hardware that exists only for this policy (added after the tile's own).
  virtual void add_budget(const CimConfig&, std::vector<BudgetItem>&) const {}

  // Planning: crossbars to reserve for K and V, given the trace's first attention op
  // (nullptr: none), the longest context and the number of layers keeping a cache.
  virtual DynamicReservation reserve(const trace::AttentionShape*, uint64_t, uint64_t) const {
    return {};
  }
  // Sizing (chips "auto"): the fewest chips that hold every layer's KV cache, `kv_bytes` in
  // all at `positions` positions, where the policy keeps it (0: none, or in its reservation).
  virtual uint32_t chips_for_kv(const CimConfig& c, const trace::AttentionShape* first,
                                uint64_t positions, uint64_t layers, uint64_t kv_bytes) const;
  // Caches a placement keeps elsewhere than the policy wants them (auto sizing adds chips
  // while that helps): by default, those off-chip.
  virtual uint64_t kv_misplaced(const std::vector<KvStore>& stores) const;
  // The tiles reserved for the policy (after the mapper has placed them) and their cells.
  virtual void attach_pool(const std::vector<uint32_t>&, uint64_t) {}
  // KV placement: puts every layer's cache in the policy's arrays when all of them fit and
  // returns true; otherwise the fabric places the caches in buffers (or beyond).
  virtual bool place_in_arrays(const trace::AttentionShape*, uint64_t, uint32_t,
                               std::vector<KvStore>&) const {
    return false;
  }

  // Dispatch.
  virtual std::vector<uint32_t> exec_tiles(const ExecCandidates& c) const;
  // QK^T, softmax and PV once Q and K/V are on their way (job.q_ready, job.kv_ready).
  virtual Window attention(FabricServices& fabric, AttentionJob& job) = 0;
  virtual const char* attention_bound() const = 0;
  // A kv_write into the policy's arrays (levels sram_cim and crossbar).
  virtual Window kv_write(FabricServices& fabric, KvStore& store, const trace::AttentionShape& a,
                          const Window& arrived);
  virtual Window batched_matmul(FabricServices& fabric, const BatchedJob& job) = 0;

  // Reporting.
  const DynamicStats& stats() const { return stats_; }
  // The most-written crossbar cell of the policy's arrays (0 if it writes none).
  virtual void worst_wear(const std::vector<KvStore>&, uint64_t&, std::string&) const {}

 protected:
  DynamicStats stats_;
};

// Operations of digital attention (QK^T, scale, softmax, PV) for a fused attention op.
struct AttentionWork {
  uint64_t macs = 0, exps = 0, adds = 0, muls = 0, divs = 0;
};
AttentionWork attention_work(const trace::AttentionShape& a);

}  // namespace cimsim::cim
