// The von Neumann executor's side of a multi-device node (node.hpp): reading the first phase
// ahead to place the split header, running a phase stage by stage with its collectives and
// sends, and recording every op with the node's counts.
#include <algorithm>
#include <cmath>

#include "cimsim/memory/offchip.hpp"
#include "cimsim/vn/executor.hpp"

namespace cimsim::vn {

void VnExecutor::make_node() {
  node_ = std::make_unique<Node>(*cfg_.node, [this](const std::string& path) {
    return doc_.where(doc_.root_name + "." + path);
  });
  // Every device refreshes its DRAM; only the busy ones open rows (active standby).
  std::vector<stats::ActionId> refresh;
  for (stats::ActionId a : background_) {
    if (memory::is_offchip_refresh(registry().actions()[a])) {
      refresh.push_back(a);
    }
  }
  node_->declare(registry(), refresh);
}

bool VnExecutor::pull(trace::Op& op) {
  if (pending_.empty()) {
    return source_->next(op);
  }
  op = std::move(pending_.front());
  pending_.pop_front();
  return true;
}

void VnExecutor::start_node() {
  // Which weights are key/value projections shows in the first phase's dataflow: read it ahead.
  trace::Op op;
  while (source_->next(op)) {
    const bool next_phase = !pending_.empty() && op.phase != pending_.front().phase;
    pending_.push_back(std::move(op));
    op = trace::Op{};
    // A live source (a serving run) says when its phase is complete: reading on would wait
    // for ops that come only once this phase has run.
    if (next_phase || source_->phase_complete()) {
      break;
    }
  }
  std::deque<trace::Op> first = pending_;
  if (first.size() > 1 && first.back().phase != first.front().phase) {
    first.pop_back();
  }
  const uint64_t device_bytes = memory_->capacity_bytes() / node_->pipeline_parallel();
  node_->place(source_->header(), first, *map_, device_bytes, cfg_.l2.block_bytes,
               doc_.where(doc_.root_name + ".memory"));
}

void VnExecutor::run_node_phase(std::deque<trace::Op>& phase) {
  for (NodeSegment& seg : node_->begin_phase(phase)) {
    for (const NodeComm& c : seg.before) {
      run_comm(c);
    }
    while (!seg.ops.empty()) {
      OpGroup group = fuser_->take(seg.ops, *planner_);
      for (const trace::Op& op : group.ops) {
        for (const NodeComm& c : node_->before(op)) {
          run_comm(c);
        }
      }
      run_group(group);
      for (const trace::Op& op : group.ops) {
        for (const NodeComm& c : node_->after(op)) {
          run_comm(c);
        }
      }
    }
  }
}

void VnExecutor::run_comm(const NodeComm& c) {
  // A communication kernel on the device's stream, as NCCL's are: placed by the launch model,
  // lasting its closed-form time. What the memory does meanwhile (refresh, standby) is its.
  const stats::Counts mem_before = memory_now();
  report::OpCost cost;
  cost.start_ps = static_cast<uint64_t>(std::llround(now_ps()));
  const double at = std::max(launch_->kernel_start_ps(gpu_end_ps_), now_ps());
  launch_idle_ps_ += at - gpu_end_ps_;
  gpu_end_ps_ = at + c.cost.time_ps;
  wait_until_ps(gpu_end_ps_);
  ++kernels_;
  cost.end_ps = static_cast<uint64_t>(std::llround(now_ps()));
  cost.counts = memory_now() - mem_before;
  node_->count(c, cost.counts);
  cost.bound = "communication";
  node_->note(c, cost.end_ps - cost.start_ps);
  node_->scale(cost.counts);
  record_extra(c.kind, c.name, c.layer, c.phase, cost);
}

void VnExecutor::record_op(const trace::Op& op, const report::OpCost& cost) {
  if (!node_) {
    record(op, cost);
    return;
  }
  report::OpCost scaled = cost;
  node_->scale(scaled.counts);
  record(node_->reported(op), scaled);
}

}  // namespace cimsim::vn
