#include "cimsim/memory/memory_system.hpp"

#include <algorithm>
#include <cmath>

#include "cimsim/memory/controller.hpp"
#include "cimsim/memory/energy.hpp"
#include "cimsim/memory/requestor.hpp"
#include "cimsim/memory/timing_checker.hpp"

namespace cimsim::memory {
namespace {

// Feeds the command log and the checker at once.
class LogAndCheck : public CommandSink {
 public:
  LogAndCheck(std::vector<CommandRecord>* log, TimingChecker* checker)
      : log_(log), checker_(checker) {}
  void on_command(const CommandRecord& r) override {
    log_->push_back(r);
    checker_->on_command(r);
  }

 private:
  std::vector<CommandRecord>* log_;
  TimingChecker* checker_;
};

}  // namespace

struct MemorySystem::Pending {
  sc_core::sc_event done;
};

// sc_module_name is taken by value: SystemC builds its name hierarchy on that copy.
// NOLINTNEXTLINE(performance-unnecessary-value-param)
MemorySystem::MemorySystem(sc_core::sc_module_name name, const MemoryConfig& config,
                           bool check_timing)
    : sc_core::sc_module(name), socket("socket"), config_(config) {
  period_ps_ = 1000.0 / config_.organisation.clock_ghz;
  energy_ = std::make_unique<EnergyTable>(config_);
  if (check_timing) {
    log_ = std::make_unique<std::vector<CommandRecord>>();
    checker_ = std::make_unique<TimingChecker>(config_);
    sink_ = std::make_unique<LogAndCheck>(log_.get(), checker_.get());
  }
  controller_ = std::make_unique<Controller>(config_, sink_.get());
  socket.register_b_transport(this, &MemorySystem::b_transport);
  SC_METHOD(on_wake);
  sensitive << wake_event_;
  dont_initialize();
}

MemorySystem::~MemorySystem() = default;

uint64_t MemorySystem::capacity_bytes() const {
  return config_.capacity_bytes();
}
double MemorySystem::peak_bandwidth_bytes_per_s() const {
  return config_.peak_bandwidth_bytes_per_s();
}
double MemorySystem::clock_ghz() const {
  return config_.organisation.clock_ghz;
}

// Cycle c starts at floor(c * period) picoseconds; a request arriving between two clock edges
// enters at the next one.
sc_core::sc_time MemorySystem::time_of(Cycle c) const {
  return sc_core::sc_time(std::floor(static_cast<double>(c) * period_ps_), sc_core::SC_PS);
}

Cycle MemorySystem::now_cycle() const {
  double ps = sc_core::sc_time_stamp().to_seconds() * 1e12;
  auto c = static_cast<Cycle>(std::floor(ps / period_ps_));
  while (time_of(c) < sc_core::sc_time_stamp()) {
    ++c;
  }
  while (c > 0 && time_of(c - 1) >= sc_core::sc_time_stamp()) {
    --c;
  }
  return c;
}

void MemorySystem::catch_up() const {
  controller_->advance_to(now_cycle());
}

void MemorySystem::notify_finished() {
  for (TxId id : controller_->take_finished()) {
    Cycle done = controller_->transaction(id).completion;
    pending_[id]->done.notify(time_of(done) - sc_core::sc_time_stamp());
  }
}

void MemorySystem::schedule_wake() {
  Cycle w = controller_->next_wake();
  if (w == kNever) {
    return;
  }
  // sc_event keeps the earliest pending notification, so a later one is simply dropped.
  wake_event_.notify(time_of(w) - sc_core::sc_time_stamp());
}

void MemorySystem::on_wake() {
  ++wakeups_;
  catch_up();
  notify_finished();
  schedule_wake();
}

void MemorySystem::b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  if (delay > sc_core::SC_ZERO_TIME) {
    wait(delay);
    delay = sc_core::SC_ZERO_TIME;
  }
  tlm::tlm_command cmd = payload.get_command();
  uint64_t address = payload.get_address();
  uint64_t length = payload.get_data_length();
  if (cmd == tlm::TLM_IGNORE_COMMAND) {
    payload.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  if (address >= capacity_bytes() || length > capacity_bytes() - address) {
    payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (length == 0) {
    payload.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  Cycle now = now_cycle();
  controller_->advance_to(now);
  notify_finished();
  TxId id = controller_->submit(address, length, cmd == tlm::TLM_WRITE_COMMAND, now,
                                requestor_of(payload));
  if (pending_.size() <= id) {
    pending_.resize(id + 1);
  }
  if (!pending_[id]) {
    pending_[id] = std::make_unique<Pending>();
  }
  Pending& p = *pending_[id];
  notify_finished();
  schedule_wake();
  wait(p.done);
  controller_->release(id);
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

void MemorySystem::declare(stats::Registry& registry, const std::string& component) {
  actions_ = declare_memory(registry, component, *energy_, config_.units());
  declared_ = true;
}

void MemorySystem::add_counts(stats::Counts& counts) const {
  if (!declared_) {
    return;
  }
  catch_up();
  add_memory_counts(actions_, controller_->stats(), config_.burst_bytes(), counts);
}

MemoryStats MemorySystem::stats() const {
  catch_up();
  return controller_->stats();
}

const std::vector<CommandRecord>& MemorySystem::command_log() const {
  static const std::vector<CommandRecord> empty;
  return log_ ? *log_ : empty;
}

std::vector<TimingViolation> MemorySystem::timing_violations() const {
  return checker_ ? checker_->violations() : std::vector<TimingViolation>{};
}

}  // namespace cimsim::memory
