// The closed forms of collectives.hpp.
#include <algorithm>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/vn/collectives.hpp"

namespace cimsim::vn {

namespace {

// Latency of one ring step: the longest edge of the group's ring (collectives.hpp).
double step_latency_ps(const LinkParams& link, uint32_t ranks) {
  if (link.topology == LinkTopology::nvswitch || ranks <= 2) {
    return link.latency_ps;
  }
  const uint32_t closing = std::min(ranks - 1, link.devices - ranks + 1);
  return link.latency_ps * std::max<uint32_t>(closing, 1);
}

// `steps` ring steps, each moving one chunk of ceil(bytes / ranks) per rank.
CommCost ring_steps(const LinkParams& link, uint32_t ranks, uint64_t bytes, uint64_t steps) {
  CommCost c;
  if (ranks <= 1 || bytes == 0) {
    return c;
  }
  const uint64_t chunk = ceil_div(bytes, ranks);
  c.sent_bytes = c.received_bytes = checked_mul(steps, chunk, "collective bytes");
  c.time_ps = link.base_ps + static_cast<double>(steps) * step_latency_ps(link, ranks) +
              static_cast<double>(c.sent_bytes) / link.bandwidth_bytes_per_s * 1e12;
  return c;
}

}  // namespace

CommCost ring_all_reduce(const LinkParams& link, uint32_t ranks, uint64_t bytes) {
  return ring_steps(link, ranks, bytes, 2 * (uint64_t{ranks} - 1));
}

CommCost ring_all_gather(const LinkParams& link, uint32_t ranks, uint64_t bytes) {
  return ring_steps(link, ranks, bytes, uint64_t{ranks} - 1);
}

CommCost send(const LinkParams& link, uint32_t distance, uint64_t bytes) {
  CommCost c;
  if (bytes == 0) {
    return c;
  }
  double bandwidth = link.bandwidth_bytes_per_s;
  uint32_t hops = 1;
  if (link.topology == LinkTopology::ring) {
    bandwidth /= 2;  // half of the device's links go each way round
    hops = std::max<uint32_t>(1, std::min(distance, link.devices - distance));
  }
  c.sent_bytes = c.received_bytes = bytes;
  c.time_ps = link.base_ps + hops * link.latency_ps + static_cast<double>(bytes) / bandwidth * 1e12;
  return c;
}

}  // namespace cimsim::vn

namespace cimsim::config {
const std::vector<std::pair<vn::LinkTopology, const char*>>& EnumNames<vn::LinkTopology>::names() {
  static const std::vector<std::pair<vn::LinkTopology, const char*>> n = {
      {vn::LinkTopology::nvswitch, "nvswitch"}, {vn::LinkTopology::ring, "ring"}};
  return n;
}
}  // namespace cimsim::config
