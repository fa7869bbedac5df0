#include "cimsim/vn/node_config.hpp"

namespace cimsim::config {
using vn::NodeConfig;
using vn::NodeLinkConfig;

void Describe<NodeLinkConfig>::fields(Fields<NodeLinkConfig>& f) {
  f.optional("name", &NodeLinkConfig::name,
             "the link's name in reports (its bytes appear under this name)");
  f.required("bandwidth_bytes_per_s", &NodeLinkConfig::bandwidth_bytes_per_s,
             "bytes per second one device sends (and, at the same time, receives) over all of "
             "its links: the per-direction bandwidth per device",
             in_range(1e6, 1e15));
  f.required("latency_ns", &NodeLinkConfig::latency_ns,
             "latency of one hop (one step of a ring collective), in ns", in_range(0, 1e9));
  f.optional("base_latency_ns", &NodeLinkConfig::base_latency_ns,
             "fixed cost of one collective or send (start-up and synchronisation of the ranks), "
             "in ns",
             in_range(0, 1e9));
  f.required("energy_pj_per_bit", &NodeLinkConfig::energy_pj_per_bit,
             "energy of one bit sent from one device to another (SerDes at both ends, the "
             "switch), in pJ",
             in_range(0, 1e6));
  f.optional("topology", &NodeLinkConfig::topology,
             "nvswitch: every device reaches every other at full bandwidth; ring: each device "
             "has half of its links to each of two neighbours");
  f.check([](const NodeLinkConfig& l, const Check& c) {
    bool ok = !l.name.empty();
    for (char ch : l.name) {
      ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_');
    }
    if (!ok) {
      c.fail("name", "expected a name of lower-case letters, digits and _, got " +
                         quote_for_message(l.name));
    }
  });
}

void Describe<NodeConfig>::fields(Fields<NodeConfig>& f) {
  f.required("devices", &NodeConfig::devices, "devices (GPUs) in the node", in_range(1, 4096));
  f.optional("tensor_parallel", &NodeConfig::tensor_parallel,
             "T: devices that split every layer (Megatron-LM tensor parallelism)",
             in_range(1, 4096));
  f.optional("pipeline_parallel", &NodeConfig::pipeline_parallel,
             "P: stages of consecutive layers, each on its own T devices", in_range(1, 4096));
  f.required("link", &NodeConfig::link, "the link between the devices");
  f.check([](const NodeConfig& n, const Check& c) {
    const uint64_t used = uint64_t{n.tensor_parallel} * n.pipeline_parallel;
    if (used > n.devices) {
      c.fail("tensor_parallel",
             "tensor_parallel x pipeline_parallel = " + std::to_string(n.tensor_parallel) + " x " +
                 std::to_string(n.pipeline_parallel) + " = " + std::to_string(used) +
                 " devices, expected at most devices = " + std::to_string(n.devices));
    }
  });
}

}  // namespace cimsim::config
