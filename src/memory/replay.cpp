// Replaying requests against a fresh controller (replay.hpp).
#include "cimsim/memory/replay.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>

#include "cimsim/common/error.hpp"
#include "cimsim/memory/controller.hpp"

namespace cimsim::memory {

namespace {

// Passes every command to the timing checker and to the caller's sink.
class Tee : public CommandSink {
 public:
  Tee(CommandSink* a, CommandSink* b) : a_(a), b_(b) {}
  void on_command(const CommandRecord& r) override {
    a_->on_command(r);
    b_->on_command(r);
  }

 private:
  CommandSink* a_;
  CommandSink* b_;
};

// Out of line: the request loop stays small enough to have its reading step inlined.
[[noreturn, gnu::noinline, gnu::cold]] void beyond_capacity(const std::string& where,
                                                            uint64_t address,
                                                            const MemoryConfig& config) {
  char hex[32];
  std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(address));
  throw InputError(where, std::string("address ") + hex + " is beyond the memory's capacity of " +
                              std::to_string(config.capacity_bytes()) + " bytes (" + config.name +
                              ")");
}

template <class Next, class Where>
ReplayResult replay(const MemoryConfig& config, Next&& next, Where&& where,
                    const ReplayOptions& options) {
  std::unique_ptr<TimingChecker> checker;
  if (options.check_timing) {
    checker = std::make_unique<TimingChecker>(config);
  }
  CommandSink* sink = checker.get() != nullptr ? checker.get() : options.sink;
  Tee tee(checker.get(), options.sink);
  if (checker && options.sink != nullptr) {
    sink = &tee;
  }
  Controller ctl(config, sink);
  ctl.set_auto_release(true);
  const AddressMap& map = ctl.address_map();
  const uint64_t capacity = map.capacity_bytes();
  ReplayResult result;
  // Reads, checks and decodes the next request.
  auto read = [&](TraceRequest& r, DecodedAddress& at) {
    if (!next(r)) {
      return false;
    }
    if (r.address >= capacity) {
      beyond_capacity(where(), r.address, config);
    }
    at = map.decode(r.address);  // the burst's bytes are ignored
    return true;
  };
  // Requests are read kAhead ahead of the one submitted: with many pseudo-channels most
  // requests find theirs out of the cache, so its state is loaded in steps while the
  // requests before it are served (Controller::prefetch).
  constexpr uint64_t kAhead = Controller::kPrefetchSteps;
  std::array<TraceRequest, kAhead + 1> ring;
  std::array<DecodedAddress, kAhead + 1> decoded;
  uint64_t read_count = 0;  // requests [result.requests, read_count) are read and decoded
  bool more = true;
  const uint64_t hinted = ctl.prefetches() ? kAhead : 0;
  auto read_ahead = [&] {
    while (more && read_count - result.requests <= kAhead) {
      const uint64_t i = read_count % ring.size();
      more = read(ring[i], decoded[i]);
      read_count += more ? 1 : 0;
    }
    // The request d places ahead of the next one to submit gets step d - 1.
    for (uint64_t d = 1; d <= hinted && result.requests + d < read_count; ++d) {
      const uint64_t i = (result.requests + d) % ring.size();
      ctl.prefetch(decoded[i], ring[i].write, static_cast<int>(d - 1));
    }
  };
  Cycle previous = 0;
  for (read_ahead(); result.requests < read_count; read_ahead()) {
    const uint64_t i = result.requests % ring.size();
    const TraceRequest& r = ring[i];
    Cycle enter = result.requests == 0 ? r.cycle : std::max(r.cycle, previous + 1);
    if (options.stall_on_full) {
      enter = ctl.accept_time(decoded[i].unit, r.write, enter);
    } else {
      ctl.advance_unit_to(decoded[i].unit, enter);
    }
    ctl.submit_burst(decoded[i], r.write, enter, r.requestor);
    previous = enter;
    ++result.requests;
  }
  result.last_completion = ctl.drain();
  result.stats = ctl.stats();
  if (checker) {
    result.commands_checked = checker->commands_checked();
    result.violation_count = checker->violation_count();
    result.violations = checker->violations();
  }
  return result;
}

}  // namespace

ReplayResult replay_trace(const MemoryConfig& config, TraceReader& trace,
                          const ReplayOptions& options) {
  return replay(
      config, [&trace](TraceRequest& r) { return trace.next(r); },
      [&trace] { return trace.path() + ":" + std::to_string(trace.line()); }, options);
}

ReplayResult replay_requests(const MemoryConfig& config, const std::vector<TraceRequest>& trace,
                             const ReplayOptions& options) {
  size_t i = 0;
  return replay(
      config,
      [&](TraceRequest& r) {
        if (i == trace.size()) {
          return false;
        }
        r = trace[i++];
        return true;
      },
      [&i] { return "request " + std::to_string(i); }, options);
}
}  // namespace cimsim::memory
