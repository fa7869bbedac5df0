#include "cimsim/vn/modules.hpp"

#include <algorithm>
#include <cmath>

#include "cimsim/memory/requestor.hpp"

namespace cimsim::vn {

using sc_core::SC_PS;
using sc_core::sc_time;

double now_ps() {
  return sc_core::sc_time_stamp().to_seconds() * 1e12;
}

void wait_until_ps(double t_ps) {
  double dt = std::ceil(t_ps - now_ps() - 1e-6);
  if (dt > 0) {
    sc_core::wait(sc_time(dt, SC_PS));
  }
}

// ---- Noc ----------------------------------------------------------------------------------

Noc::Noc(sc_core::sc_module_name name, double bytes_per_ps, double latency_ps, LiveCounts& live)
    : sc_module(name),
      in("in"),
      out("out"),
      xbar_(bytes_per_ps),
      latency_ps_(latency_ps),
      live_(live) {
  in.register_b_transport(this, &Noc::b_transport);
}

void Noc::b_transport(int, tlm::tlm_generic_payload& p, sc_time& delay) {
  double issue = now_ps() + delay.to_seconds() * 1e12;
  double xbar_done = xbar_.reserve(issue, p.get_data_length());
  live_.counts.actions[live_.noc_byte] += p.get_data_length();
  out->b_transport(p, delay);
  double done = std::max(now_ps() + delay.to_seconds() * 1e12, xbar_done) + 2 * latency_ps_;
  delay = sc_time(std::max(0.0, std::ceil(done - now_ps())), SC_PS);
}

// ---- L2 -----------------------------------------------------------------------------------

L2Module::L2Module(sc_core::sc_module_name name, uint64_t capacity, uint64_t block_bytes,
                   double bytes_per_ps, double hit_latency_ps, double mem_latency_ps,
                   uint64_t access_bytes, unsigned writebacks_in_flight, LiveCounts& live)
    : sc_module(name),
      in("in"),
      mem("mem"),
      access_(std::max<uint64_t>(1, access_bytes)),
      cache_(capacity, block_bytes),
      arrays_(bytes_per_ps),
      hit_latency_ps_(hit_latency_ps),
      mem_latency_ps_(mem_latency_ps),
      live_(live) {
  in.register_b_transport(this, &L2Module::b_transport);
  for (unsigned i = 0; i < std::max(1u, writebacks_in_flight); ++i) {
    sc_core::sc_spawn(sc_core::sc_bind(&L2Module::writeback_thread, this),
                      sc_core::sc_gen_unique_name("writeback"));
  }
}

void L2Module::apply(const L2Access& a, L2Traffic& traffic, uint64_t& miss_addr,
                     uint64_t& miss_bytes) {
  L2Cache::Result& r = scratch_;
  r.hit_bytes = r.miss_bytes = r.writeback_bytes = 0;
  r.miss = AddrRange{};
  r.writebacks.clear();
  if (a.write) {
    cache_.write(a.addr, a.bytes, a.tensor, r);
  } else {
    cache_.read(a.addr, a.bytes, a.tensor, r);
  }
  // The memory moves whole bursts: fills and write-backs are aligned to them.
  traffic.fill_bytes += r.miss_bytes;
  miss_addr = r.miss.addr;
  miss_bytes = r.miss_bytes;
  if (miss_bytes > 0) {
    uint64_t lo = miss_addr / access_ * access_;
    miss_bytes = (miss_addr - lo + miss_bytes + access_ - 1) / access_ * access_;
    miss_addr = lo;
    ++traffic.read_requests;
    traffic.read_bytes += miss_bytes;
  }
  for (auto& w : r.writebacks) {
    uint64_t lo = w.addr / access_ * access_;
    w.bytes = ((w.addr - lo + w.bytes + access_ - 1) / access_) * access_;
    w.addr = lo;
    ++traffic.writebacks;
    traffic.writeback_bytes += w.bytes;
  }
}

void L2Module::apply_untimed(const L2Access& a, L2Traffic& traffic,
                             std::vector<AddrRange>& writebacks) {
  uint64_t miss_addr = 0, miss_bytes = 0;
  apply(a, traffic, miss_addr, miss_bytes);
  writebacks.insert(writebacks.end(), scratch_.writebacks.begin(), scratch_.writebacks.end());
}

void L2Module::post_writebacks(const std::vector<AddrRange>& ranges) {
  if (ranges.empty()) {
    return;
  }
  queue_.insert(queue_.end(), ranges.begin(), ranges.end());
  queued_.notify(sc_core::SC_ZERO_TIME);
}

void L2Module::b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
  auto* ext = p.get_extension<TensorExt>();
  L2Access a{p.get_address(), p.get_data_length(), ext != nullptr ? ext->tensor : 0,
             p.get_command() == tlm::TLM_WRITE_COMMAND};
  if (log_ != nullptr) {
    log_->push_back(a);
  }
  uint64_t miss_addr = 0, miss_bytes = 0;
  const uint64_t fills_before = traffic_.fill_bytes;
  apply(a, traffic_, miss_addr, miss_bytes);
  const uint64_t len = a.bytes;
  if (a.write) {
    live_.counts.actions[live_.l2_write] += len;
    live_.counts.write_bytes[live_.l2_link] += len;
  } else {
    live_.counts.actions[live_.l2_read] += len;
    live_.counts.read_bytes[live_.l2_link] += len;
    live_.counts.actions[live_.l2_write] += traffic_.fill_bytes - fills_before;  // fills
  }
  double issue = now_ps() + delay.to_seconds() * 1e12;
  double arrays_done = arrays_.reserve(issue, len + (traffic_.fill_bytes - fills_before));
  if (!scratch_.writebacks.empty()) {
    for (const auto& w : scratch_.writebacks) {
      queue_.push_back(w);
    }
    queued_.notify(sc_core::SC_ZERO_TIME);
  }
  double done = arrays_done + hit_latency_ps_;
  if (miss_bytes > 0) {
    sc_core::wait(delay);
    delay = sc_core::SC_ZERO_TIME;
    tlm::tlm_generic_payload& mp = payloads_.take();
    mp.set_command(tlm::TLM_READ_COMMAND);
    mp.set_address(miss_addr);
    mp.set_data_ptr(nullptr);
    mp.set_data_length(static_cast<unsigned>(miss_bytes));
    mp.set_streaming_width(static_cast<unsigned>(miss_bytes));
    mp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    memory::forward_requestor(p, mp);
    sc_time d = sc_core::SC_ZERO_TIME;
    mem_read_ += miss_bytes;
    mem->b_transport(mp, d);
    payloads_.give_back(mp);
    done = std::max(done, now_ps() + d.to_seconds() * 1e12 + 2 * mem_latency_ps_ + hit_latency_ps_);
  }
  delay = sc_time(std::max(0.0, std::ceil(done - now_ps())), SC_PS);
  p.set_response_status(tlm::TLM_OK_RESPONSE);
}

void L2Module::writeback_thread() {
  tlm::tlm_generic_payload& mp = payloads_.take();
  for (;;) {
    while (queue_.empty()) {
      if (writing_ == 0) {
        idle_event_.notify(sc_core::SC_ZERO_TIME);
      }
      sc_core::wait(queued_);
    }
    ++writing_;
    AddrRange w = queue_.front();
    queue_.pop_front();
    mp.set_command(tlm::TLM_WRITE_COMMAND);
    mp.set_address(w.addr);
    mp.set_data_ptr(nullptr);
    mp.set_data_length(static_cast<unsigned>(w.bytes));
    mp.set_streaming_width(static_cast<unsigned>(w.bytes));
    mp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_time d = sc_core::SC_ZERO_TIME;
    mem_write_ += w.bytes;
    mem->b_transport(mp, d);
    if (d > sc_core::SC_ZERO_TIME) {
      sc_core::wait(d);
    }
    --writing_;
  }
}

// ---- DMA engine ---------------------------------------------------------------------------

DmaEngine::DmaEngine(sc_core::sc_module_name name, double port_bytes_per_ps, unsigned workers,
                     sc_core::sc_event& drained, uint64_t& outstanding, uint16_t requestor)
    : sc_module(name),
      out("out"),
      port_(port_bytes_per_ps),
      drained_(drained),
      outstanding_(outstanding),
      requestor_(requestor) {
  for (unsigned i = 0; i < workers; ++i) {
    sc_core::sc_spawn(sc_core::sc_bind(&DmaEngine::worker, this),
                      sc_core::sc_gen_unique_name("worker"));
  }
}

void DmaEngine::post(DmaJob& job) {
  job.done = false;
  job.bytes = 0;
  for (const auto& r : job.ranges) {
    job.bytes += r.bytes;
  }
  double now = now_ps();
  job.port_start_ps = port_.start_of_next(now);
  job.port_end_ps = port_.reserve(now, job.bytes);
  ++outstanding_;
  queue_.push_back(&job);
  queued_.notify(sc_core::SC_ZERO_TIME);
}

void DmaEngine::worker() {
  tlm::tlm_generic_payload& p = payloads_.take();
  auto* ext = new TensorExt;  // owned by the payload
  p.set_extension(ext);
  memory::set_requestor(p, requestor_);
  for (;;) {
    while (queue_.empty()) {
      sc_core::wait(queued_);
    }
    DmaJob* job = queue_.front();
    queue_.pop_front();
    wait_until_ps(job->port_start_ps);
    double done = job->port_end_ps;
    for (const auto& r : job->ranges) {
      if (r.bytes == 0) {
        continue;
      }
      p.set_command(job->write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
      p.set_address(r.addr);
      p.set_data_ptr(nullptr);
      p.set_data_length(static_cast<unsigned>(r.bytes));
      p.set_streaming_width(static_cast<unsigned>(r.bytes));
      p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      ext->tensor = r.tensor;
      sc_time d = sc_core::SC_ZERO_TIME;
      out->b_transport(p, d);
      done = std::max(done, now_ps() + d.to_seconds() * 1e12);
    }
    wait_until_ps(done);
    job->done_ps = now_ps();
    job->done = true;
    job->done_event.notify(sc_core::SC_ZERO_TIME);
    if (--outstanding_ == 0) {
      drained_.notify(sc_core::SC_ZERO_TIME);
    }
  }
}

}  // namespace cimsim::vn
