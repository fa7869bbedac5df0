// A stand-in off-chip memory for CIM tests that do not need the HBM model: a fixed
// bandwidth and latency, requests served one after another. Test-only; the fabric uses
// memory::MemorySystem in every real run.
#pragma once

#include <tlm_utils/simple_target_socket.h>
#include <algorithm>
#include <systemc>

#include "cimsim/memory/offchip.hpp"

namespace cimsim::test {

class FixedMemory : public sc_core::sc_module, public memory::OffChipMemory {
 public:
  tlm_utils::simple_target_socket<FixedMemory> socket;
  FixedMemory(sc_core::sc_module_name name, double gbytes_s, double latency_ns, double pj_per_byte,
              uint64_t capacity = uint64_t{1} << 36)
      : sc_core::sc_module(name),
        socket("socket"),
        gbytes_s_(gbytes_s),
        latency_ns_(latency_ns),
        pj_per_byte_(pj_per_byte),
        capacity_(capacity) {
    socket.register_b_transport(this, &FixedMemory::b_transport);
  }
  tlm::tlm_target_socket<32>& target() override { return socket; }
  uint64_t capacity_bytes() const override { return capacity_; }
  double peak_bandwidth_bytes_per_s() const override { return gbytes_s_ * 1e9; }
  double unloaded_latency_ps() const override { return latency_ns_ * 1e3; }
  uint64_t access_bytes() const override { return 1; }
  void declare(stats::Registry& r) override {
    read_ = r.action(memory::kOffChipName, "read_byte", pj_per_byte_, "test stand-in");
    write_ = r.action(memory::kOffChipName, "write_byte", pj_per_byte_, "test stand-in");
    link_ = r.link(memory::kOffChipName, "off-chip memory");
  }
  void add_counts(stats::Counts& c) const override {
    c.actions[read_] += read_bytes_;
    c.actions[write_] += write_bytes_;
    c.read_bytes[link_] += read_bytes_;
    c.write_bytes[link_] += write_bytes_;
  }
  uint64_t transactions() const { return transactions_; }

 private:
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    double now = sc_core::sc_time_stamp().to_seconds() * 1e9 + delay.to_seconds() * 1e9;
    double start = std::max(now, free_ns_);
    double busy = p.get_data_length() / gbytes_s_;
    free_ns_ = start + busy;
    sc_core::wait(sc_core::sc_time(start + busy + latency_ns_ - now, sc_core::SC_NS) + delay);
    delay = sc_core::SC_ZERO_TIME;
    (p.is_write() ? write_bytes_ : read_bytes_) += p.get_data_length();
    ++transactions_;
    p.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  double gbytes_s_, latency_ns_, pj_per_byte_;
  uint64_t capacity_;
  double free_ns_ = 0;
  uint64_t read_bytes_ = 0, write_bytes_ = 0, transactions_ = 0;
  stats::ActionId read_ = 0, write_ = 0;
  stats::LinkId link_ = 0;
};

}  // namespace cimsim::test
