// Closed forms of the inter-device communication of a von Neumann node (node.hpp): NCCL's
// ring all-reduce and ring all-gather among the T ranks of a tensor-parallel group, and a
// point-to-point send between pipeline stages. Plain C++, no SystemC: a collective's time,
// and the bytes each device sends and receives, follow from the link's per-direction
// bandwidth B, its per-step latency a and a fixed cost c per call:
//
//   all-reduce of S bytes over T ranks (reduce-scatter then all-gather, 2 (T - 1) steps, each
//   rank sending one chunk of ceil(S / T) bytes per step):
//     time = c + 2 (T - 1) a + 2 (T - 1) ceil(S / T) / B
//   all-gather to S bytes (each rank starts with S / T): (T - 1) steps,
//     time = c + (T - 1) a + (T - 1) ceil(S / T) / B
//   send of S bytes to a device h hops away: time = c + h a + S / B_p2p
//
// Ring, not tree: NCCL runs all-reduce as a ring inside one NVSwitch node for every size its
// tuner considers here (src/graph/tuning.cc: the tree's per-step latency on NVLink is the
// ring's, and its bandwidth is capped below the ring's), and the ring's bandwidth term is
// optimal: every rank must send and receive 2 (T - 1) / T of the data (Patarasuk & Yuan,
// J. Parallel Distrib. Comput. 69(2), 2009). Topologies:
//   switch (NVSwitch): every device reaches every other through the switch at its full
//     per-direction bandwidth, one hop;
//   ring: each device has half of its links to each of its two neighbours. A collective runs
//     rings in both directions (NCCL's channels), each carrying half the data at half the
//     bandwidth, so its bandwidth term is the switch's; each step waits for the ring's
//     longest edge, which for T > 2 consecutive devices of a larger ring closes through the
//     devices outside the group: min(T - 1, devices - T + 1) hops. A send uses one direction
//     of the shorter way round: half the bandwidth, min(d, devices - d) hops for devices d
//     apart.
// Left out: NCCL's protocol switch (LL for small messages, Simple for large: one latency and
// one bandwidth stand for both), NVLink SHARP in-switch reductions (H100's NVLS), the
// reduction's own HBM traffic and SM time, contention with kernels running alongside.
#pragma once

#include <cstdint>

#include "cimsim/common/enum_names.hpp"

namespace cimsim::vn {

enum class LinkTopology : uint8_t { nvswitch, ring };

// The link as the closed forms see it.
struct LinkParams {
  double bandwidth_bytes_per_s = 0;  // per device, per direction
  double latency_ps = 0;             // per hop, per ring step
  double base_ps = 0;                // per collective or send (start-up, synchronisation)
  LinkTopology topology = LinkTopology::nvswitch;
  uint32_t devices = 1;  // devices on the link (the ring's length)
};

// What one device does in a communication: its time and the bytes it sends and receives.
struct CommCost {
  double time_ps = 0;
  uint64_t sent_bytes = 0;
  uint64_t received_bytes = 0;
};

// All-reduce of `bytes` (the whole tensor, on every rank) over `ranks` consecutive devices.
CommCost ring_all_reduce(const LinkParams& link, uint32_t ranks, uint64_t bytes);
// All-gather: every rank holds 1/ranks of a tensor of `bytes` and ends with all of it.
CommCost ring_all_gather(const LinkParams& link, uint32_t ranks, uint64_t bytes);
// One device sends `bytes` to a device `distance` positions further on the link.
CommCost send(const LinkParams& link, uint32_t distance, uint64_t bytes);

}  // namespace cimsim::vn

namespace cimsim::config {
template <>
struct EnumNames<vn::LinkTopology> {
  static const std::vector<std::pair<vn::LinkTopology, const char*>>& names();
};
}  // namespace cimsim::config
