// The optional `node` of a von Neumann machine config: several identical devices joined by a
// device-to-device link, running one model with tensor and pipeline parallelism (node.hpp,
// docs/parallelism.md). Without it a machine is one device.
#pragma once

#include <cstdint>
#include <string>

#include "cimsim/config/describe.hpp"
#include "cimsim/vn/collectives.hpp"

namespace cimsim::vn {

struct NodeLinkConfig {
  std::string name = "nvlink";       // the link's name in reports
  double bandwidth_bytes_per_s = 0;  // per device, per direction
  double latency_ns = 0;             // per hop / ring step
  double base_latency_ns = 0;        // per collective or send
  double energy_pj_per_bit = 0;      // per bit one device sends to another
  LinkTopology topology = LinkTopology::nvswitch;
};

struct NodeConfig {
  uint32_t devices = 1;
  uint32_t tensor_parallel = 1;    // T: ranks that split each layer (Megatron-LM)
  uint32_t pipeline_parallel = 1;  // P: stages of consecutive layers
  NodeLinkConfig link;
};

}  // namespace cimsim::vn

namespace cimsim::config {
template <>
struct Describe<vn::NodeLinkConfig> {
  static constexpr const char* doc = "the link between the devices of a node (NVLink)";
  static void fields(Fields<vn::NodeLinkConfig>& f);
};
template <>
struct Describe<vn::NodeConfig> {
  static constexpr const char* doc =
      "several identical devices joined by a link, running one model with tensor and pipeline "
      "parallelism";
  static void fields(Fields<vn::NodeConfig>& f);
};
}  // namespace cimsim::config
