// A von Neumann node (the machine config's `node`; docs/parallelism.md): `devices` identical
// devices joined by a device-to-device link, T x P of which run one model: Megatron-LM tensor
// parallelism over T ranks (tensor_parallel.hpp) in each of P pipeline stages of consecutive
// layers (the embedding on the first stage, the final norm and LM head on the last).
//
// Simulated event by event: one device running one rank's share of every op of every stage,
// stage after stage. The T ranks of a stage do identical work, so one is simulated and its
// counts (actions, bytes) are multiplied by T. Without micro-batching a batch passes through
// the stages one after the other, so the one device model runs the stages in turn: the time is
// the sum of the stages' times plus the sends between them, and no bubble is filled. Each stage
// is placed in its own device's memory (its own weights and KV caches, checked against one
// device's capacity), at its own addresses (a device's memory repeated P times and folded back
// onto the one HBM model, fold_memory below), so no stage finds another's data in the L2.
// What one device model leaves out: a stage's L2 keeps its own data between phases on a real
// node, here the other stages' traffic evicts it (the same whenever a stage's weights exceed
// the L2, as for every model that needs a node).
//
// Closed forms (collectives.hpp): the all-reduces and all-gathers of tensor parallelism and the
// sends between stages, each a kernel of its closed-form duration on the device's stream; their
// bytes are counted on the link (named by the config, "nvlink") and their energy is energy per
// bit x bits sent. Every device draws its static power for the whole run, busy or not (the
// idle stages of a pipeline too); DRAM refresh runs on every device.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cimsim/common/json.hpp"
#include "cimsim/stats/registry.hpp"
#include "cimsim/trace/source.hpp"
#include "cimsim/vn/address_map.hpp"
#include "cimsim/vn/collectives.hpp"
#include "cimsim/vn/machine.hpp"
#include "cimsim/vn/node_config.hpp"
#include "cimsim/vn/tensor_parallel.hpp"

namespace cimsim::vn {

// A communication the executor runs between kernels, with one device's cost.
struct NodeComm {
  std::string kind;  // "all_reduce", "all_gather", "send"
  std::string name;  // "L3.attn.o.all_reduce", "L39.add2.out.send", "tokens.send"
  int32_t layer = 0;
  trace::Phase phase;
  CommCost cost;
};

// A run of a phase's ops on one pipeline stage and the sends into the stage before it.
struct NodeSegment {
  std::deque<trace::Op> ops;
  std::vector<NodeComm> before;
};

class Node {
 public:
  // `where` locates a config path for messages ("machine.node.tensor_parallel" ->
  // "file.json: machine.node.tensor_parallel").
  Node(const NodeConfig& cfg, std::function<std::string(const std::string&)> where);
  ~Node();

  uint32_t tensor_parallel() const { return cfg_.tensor_parallel; }
  uint32_t pipeline_parallel() const { return cfg_.pipeline_parallel; }
  uint32_t devices_used() const { return cfg_.tensor_parallel * cfg_.pipeline_parallel; }

  // After the device has declared its components: the link, its energy per byte sent, and
  // every component's static power and instances for all devices used. `refresh`: the
  // memory's refresh actions, which every device performs.
  void declare(stats::Registry& registry, const std::vector<stats::ActionId>& refresh);
  // Splits the header for one rank (the first phase tells the key/value projections),
  // checks that every stage fits one device's memory and places each stage at its device's
  // addresses.
  void place(const trace::TraceHeader& h, const std::deque<trace::Op>& first_phase, AddressMap& map,
             uint64_t device_capacity_bytes, uint64_t align_bytes, const std::string& memory_where);
  // One phase, in trace order: rewrites its ops into one rank's and cuts it into the stages'
  // runs.
  std::vector<NodeSegment> begin_phase(std::deque<trace::Op>& phase);
  // The collectives to run before and after a (rewritten) op of the current phase.
  std::vector<NodeComm> before(const trace::Op& op) const;
  std::vector<NodeComm> after(const trace::Op& op) const;

  // One device's link bytes and link energy of a communication, added to `counts`.
  void count(const NodeComm& c, stats::Counts& counts) const;
  // One device's counts become the node's: x T, the refresh actions x T x P.
  void scale(stats::Counts& counts) const;
  // The op as the report records it: the trace's op, with the whole model's FLOPs.
  trace::Op reported(const trace::Op& rank_op) const;
  // Tallies a communication for the metrics.
  void note(const NodeComm& c, uint64_t ps);
  Json metrics() const;

 private:
  uint32_t stage_of(int32_t layer) const;
  NodeComm comm(const char* kind, std::string name, int32_t layer, const trace::Phase& phase,
                CommCost cost) const;

  NodeConfig cfg_;
  std::function<std::string(const std::string&)> where_;
  LinkParams link_;
  std::unique_ptr<TensorParallel> tp_;
  uint32_t layers_ = 0;
  stats::LinkId link_id_ = 0;
  stats::ActionId send_action_ = 0;
  std::vector<bool> refresh_;  // by action id
  uint64_t phases_ = 0;
  uint64_t device_capacity_ = 0;
  std::vector<uint64_t> stage_bytes_;
  trace::Phase phase_;
  struct Tally {
    uint64_t count = 0, ps = 0, bytes = 0;
  };
  std::map<std::string, Tally> tally_;
};

// The memory of one device repeated `copies` times: addresses above one device's capacity fold
// back onto the one HBM model (a stage's tensors sit at their own addresses, so the L2 never
// mistakes one stage's data for another's; the DRAM sees each device's own layout).
std::unique_ptr<memory::OffChipMemory> fold_memory(std::unique_ptr<memory::OffChipMemory> inner,
                                                   uint32_t copies, const std::string& name);

}  // namespace cimsim::vn
