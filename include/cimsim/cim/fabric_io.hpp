// The fabric's plumbing: how an op's work reaches the tiles, the mesh and off-chip memory,
// and the counting of what it caused.
//
//   tile_job   a b_transport to a tile (tile.hpp), answered with a window of time
//   send       a transfer from tile to tile over the mesh and chip links (noc.hpp)
//   deliver    gather a distributed activation at one tile, then a path multicast
//   hbm        a blocking off-chip read or write in one chip group's HBM stack (the only
//              thing that blocks the fabric's thread, because memory contention must be
//              exact), then over that stack's link to its chips (bandwidth, latency, energy);
//              long streams take the fast path (a measured sample, the rest extrapolated)
//   global_buffer  a chip's global buffer (bandwidth and latency, busy-until)
// Everything an op causes is counted here (the tiles and the network add into the op's
// counts); take_op_counts() hands them to the recorder with the memory's own counts since
// the previous op.
#pragma once

#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <cstdint>
#include <vector>

#include "cimsim/cim/dynamic_policy.hpp"
#include "cimsim/cim/noc.hpp"
#include "cimsim/cim/tile.hpp"
#include "cimsim/memory/offchip.hpp"
#include "cimsim/stats/registry.hpp"

namespace cimsim::cim {

// Where an activation lies: parts in tile buffers, and when it is available.
struct Part {
  uint32_t tile = 0;
  uint64_t bytes = 0;
};
struct Loc {
  std::vector<Part> parts;
  Window window;
  uint64_t bytes = 0;
};

class FabricIo final : public FabricServices {
 public:
  // Create inside the fabric module's constructor (the sockets are its children).
  FabricIo();
  tlm_utils::simple_initiator_socket<FabricIo> mem_socket;
  tlm_utils::multi_passthrough_initiator_socket<FabricIo> tile_socket;

  // Once the system is built and every action declared.
  void attach(const CimConfig& config, const Topology& topology, const Actions& ids,
              const stats::Registry& registry, const memory::OffChipMemory& memory, uint32_t stacks,
              uint64_t cycle_ps, bool fast_forward);

  // FabricServices.
  Window tile_job(uint32_t tile, TileJob& job) override;
  stats::Counts& counts() override { return cur_; }
  const Actions& ids() const override { return *ids_; }
  uint64_t cycle_ps() const override { return cycle_ps_; }

  Window send(uint32_t from, uint32_t to, uint64_t bytes, const Window& ready);
  // Gathers `src` (its parts scaled by `fraction`) and delivers bytes[i] to dst[i];
  // broadcast: the destinations need the same data (else each its own share).
  std::vector<Window> deliver(const Loc& src, const std::vector<uint32_t>& dst,
                              const std::vector<uint64_t>& bytes, double fraction, bool broadcast);
  // A blocking off-chip read or write of `bytes` at `offset` in `stack`, starting no earlier
  // than ready_ps; returns when the data has crossed the stack's link.
  uint64_t hbm(uint64_t bytes, bool write, uint64_t ready_ps, uint32_t stack, uint64_t offset);
  uint32_t stack_of_tile(uint32_t tile) const { return cfg_->stack_of(topo_->chip_of(tile)); }
  Window global_buffer(uint32_t chip, uint64_t bytes, const Window& ready, bool write);
  uint32_t gateway_tile(uint32_t chip) const { return chip * cfg_->chip.tiles; }
  const Topology& topology() const { return *topo_; }

  // The counts since the previous call: the op's own, the memory's since then, and what the
  // fast path charged; `fast_forwarded` says whether the fast path was taken.
  stats::Counts take_op_counts(bool& fast_forwarded);
  // Memory actions no op has taken (refreshes after the last op).
  stats::Counts unattributed() const;
  uint64_t fast_forwarded_bytes() const { return ff_bytes_; }

  static constexpr uint64_t kStreamSample = uint64_t{256} << 10;

 private:
  void hbm_stream(uint64_t bytes, bool write, uint64_t base, uint64_t cap, uint64_t& addr);

  const CimConfig* cfg_ = nullptr;
  const Topology* topo_ = nullptr;
  const Actions* ids_ = nullptr;
  const stats::Registry* registry_ = nullptr;
  const memory::OffChipMemory* mem_ = nullptr;
  uint64_t cycle_ps_ = 1000;
  bool fast_forward_ = true;
  stats::Counts cur_;
  stats::Counts mem_seen_;          // memory counts already attributed
  stats::Counts ff_counts_;         // memory counts charged by the fast path, not yet taken
  std::vector<bool> hbm_scalable_;  // memory actions the fast path extrapolates
  stats::LinkId hbm_link_ = 0;
  uint64_t ff_bytes_ = 0;
  bool op_fast_forwarded_ = false;
  std::vector<uint64_t> gb_free_;    // per chip
  std::vector<uint64_t> link_free_;  // per stack link
  uint64_t stack_bytes_ = 0;         // capacity of one stack
  tlm::tlm_generic_payload job_payload_, mem_payload_;
};

}  // namespace cimsim::cim
