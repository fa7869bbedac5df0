// fold_memory (node.hpp): one device's memory seen as `copies` devices' memories, one after
// another in the address space, folded back onto the one memory model.
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <algorithm>

#include "cimsim/vn/node.hpp"

namespace cimsim::vn {

namespace {

class FoldedMemory final : public sc_core::sc_module, public memory::OffChipMemory {
 public:
  // The name is a constructor argument so that it stays on SystemC's name stack while the
  // sockets are built.
  FoldedMemory(const sc_core::sc_module_name& name, std::unique_ptr<memory::OffChipMemory> inner,
               uint32_t copies)
      : sc_core::sc_module(name),
        in_("in"),
        out_("out"),
        inner_(std::move(inner)),
        copies_(copies),
        device_bytes_(inner_->capacity_bytes()) {
    in_.register_b_transport(this, &FoldedMemory::b_transport);
    out_.bind(inner_->target());
  }
  tlm::tlm_target_socket<32>& target() override { return in_; }
  void declare(stats::Registry& r) override { inner_->declare(r); }
  void add_counts(stats::Counts& c) const override { inner_->add_counts(c); }
  uint64_t capacity_bytes() const override { return device_bytes_ * copies_; }
  double peak_bandwidth_bytes_per_s() const override {
    return inner_->peak_bandwidth_bytes_per_s();
  }
  double unloaded_latency_ps() const override { return inner_->unloaded_latency_ps(); }
  uint64_t access_bytes() const override { return inner_->access_bytes(); }
  std::vector<stats::ActionId> background_actions() const override {
    return inner_->background_actions();
  }

 private:
  // A request that crosses the end of one device's memory is split there (each part goes to
  // its own device's addresses, both folded onto the one model).
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    const uint64_t addr = p.get_address();
    const uint64_t len = p.get_data_length();
    const uint64_t offset = addr % device_bytes_;
    if (offset + len <= device_bytes_) {
      p.set_address(offset);
      out_->b_transport(p, delay);
      p.set_address(addr);
      return;
    }
    unsigned char* data = p.get_data_ptr();
    uint64_t done = 0;
    while (done < len) {
      const uint64_t at = (addr + done) % device_bytes_;
      const uint64_t part = std::min(len - done, device_bytes_ - at);
      p.set_address(at);
      p.set_data_length(static_cast<unsigned>(part));
      p.set_streaming_width(static_cast<unsigned>(part));
      p.set_data_ptr(data == nullptr ? nullptr : data + done);
      out_->b_transport(p, delay);
      done += part;
    }
    p.set_address(addr);
    p.set_data_length(static_cast<unsigned>(len));
    p.set_streaming_width(static_cast<unsigned>(len));
    p.set_data_ptr(data);
  }

  tlm_utils::simple_target_socket<FoldedMemory> in_;
  tlm_utils::simple_initiator_socket<FoldedMemory> out_;
  std::unique_ptr<memory::OffChipMemory> inner_;
  uint32_t copies_;
  uint64_t device_bytes_;
};

}  // namespace

std::unique_ptr<memory::OffChipMemory> fold_memory(std::unique_ptr<memory::OffChipMemory> inner,
                                                   uint32_t copies, const std::string& name) {
  if (copies <= 1) {
    return inner;
  }
  return std::make_unique<FoldedMemory>(sc_core::sc_module_name(name.c_str()), std::move(inner),
                                        copies);
}

}  // namespace cimsim::vn
