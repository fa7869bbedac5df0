// The scheduler axis: the memory policies are registered by name; a scheduler added from this
// file alone (a toy that serves the newest request and records what it sees) runs in the
// controller, through the trace replayer and through the SystemC module; BLISS and FR-FCFS
// order a small request set differently, with every cycle worked out by hand.
#include <tlm_utils/simple_initiator_socket.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cimsim/memory/memory_system.hpp"
#include "cimsim/memory/memtrace.hpp"
#include "cimsim/memory/requestor.hpp"
#include "memory_test_util.hpp"

namespace cimsim::memory {
namespace {

using test::addr;
using test::one_channel;
using test::preset;

// ---- a toy scheduler, registered from this file only -----------------------------------------

// What the toy saw: requestors served, and whether its channel view agreed with the queue.
struct Seen {
  std::vector<RequestorId> served;
  bool view_consistent = true;
  uint32_t max_queued = 0;
};
Seen& seen() {
  static Seen s;
  return s;
}

// Serves the newest request of a bank first (LIFO); newest command first across banks.
class NewestFirst final : public Scheduler {
 public:
  explicit NewestFirst(const ChannelView* channel) : channel_(channel) {}
  size_t choose(const BurstRequest* queue, size_t size, const BankView&) const override {
    // The whole channel is visible: this bank's queue is the view's, and no bank holds more
    // than the channel has queued.
    const bool write = queue[0].write;
    const QueueView mine = channel_->queue(queue[0].bank, write);
    uint32_t total = 0;
    for (uint32_t b = 0; b < channel_->banks(); ++b) {
      total += static_cast<uint32_t>(channel_->queue(b, write).size);
    }
    seen().view_consistent = seen().view_consistent && mine.data == queue && mine.size == size &&
                             total == channel_->queued(write);
    seen().max_queued = std::max(seen().max_queued, total);
    return size - 1;
  }
  uint64_t priority(Command, const BurstRequest& r) const override { return ~r.seq; }
  bool observes_service() const override { return true; }
  bool served(const BurstRequest& r, Cycle) override {
    seen().served.push_back(r.requestor);
    return false;
  }

 private:
  const ChannelView* channel_;
};

}  // namespace

CIMSIM_REGISTER(SchedulerAxis, config::NoParams, "test_newest_first",
                "test only: the newest request first",
                [](const config::NoParams&, const SchedulerSetup& s) -> std::unique_ptr<Scheduler> {
                  return std::make_unique<NewestFirst>(s.channel);
                });

namespace {

std::vector<std::string> names_of(const char* axis) {
  std::vector<std::string> out;
  for (const auto& a : config::registered_axes()) {
    if (a.key == std::string(axis)) {
      for (const auto* impl : a.implementations()) {
        out.push_back(impl->name);
      }
    }
  }
  return out;
}

TEST(MemoryAxes, EveryPolicyIsRegisteredByName) {
  EXPECT_EQ(names_of("memory.scheduler"),
            (std::vector<std::string>{"bliss", "fcfs", "fr_fcfs", "test_newest_first"}));
  EXPECT_EQ(names_of("memory.page_policy"),
            (std::vector<std::string>{"closed", "closed_adaptive", "open", "open_adaptive"}));
  EXPECT_EQ(names_of("memory.refresh"), (std::vector<std::string>{"all_bank", "none", "per_bank"}));
  EXPECT_EQ(names_of("memory.address_hash"), (std::vector<std::string>{"none", "xor"}));
}

TEST(MemoryAxes, ParametersBelongToTheirImplementation) {
  MemoryConfig c = preset("hbm2", {"controller.scheduler.row_hit_cap=4"});
  EXPECT_EQ(c.controller.scheduler.params_as<FrFcfsParams>().row_hit_cap, 4u);
  EXPECT_EQ(config::to_json(c)["controller"]["scheduler"],
            Json::parse(R"({"name": "fr_fcfs", "row_hit_cap": 4})"));
  try {
    preset("hbm2", {"controller.scheduler=fcfs", "controller.scheduler.row_hit_cap=4"});
    ADD_FAILURE() << "FCFS has no row_hit_cap";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("row_hit_cap"), std::string::npos) << e.what();
  }
}

TEST(ToyScheduler, RunsFromOneFileAndSeesTheChannel) {
  seen() = Seen{};
  MemoryConfig c = one_channel({"controller.scheduler=test_newest_first"});
  test::Recorder rec(c);
  Controller ctl(c, &rec);
  // Four requests to four rows of bank 0 and one to bank 1, all at cycle 0: the newest first.
  for (uint32_t i = 0; i < 4; ++i) {
    ctl.submit(addr(ctl, 0, 0, 10 + i, 0), 64, false, 0, static_cast<RequestorId>(i + 1));
  }
  ctl.submit(addr(ctl, 0, 1, 7, 0), 64, false, 0, 9);
  ctl.drain();
  rec.expect_clean();
  std::vector<uint32_t> rows;
  for (const auto& r : rec.log) {
    if (r.command == Command::kAct && r.bank == 0) {
      rows.push_back(r.row);
    }
  }
  EXPECT_EQ(rows, (std::vector<uint32_t>{13, 12, 11, 10}));
  EXPECT_EQ(seen().served, (std::vector<RequestorId>{9, 4, 3, 2, 1}));
  EXPECT_TRUE(seen().view_consistent);
  EXPECT_EQ(seen().max_queued, 5u);
}

TEST(ToyScheduler, RequestorsArriveFromTraceLines) {
  seen() = Seen{};
  MemoryConfig c = one_channel({"controller.scheduler=test_newest_first"});
  // The fourth field is the requestor; without one it is 0. Different cycles: served in order.
  std::vector<TraceRequest> trace = {
      {0, false, 0, 7}, {64, false, 100, 0}, {128, false, 200, 65535}};
  replay_requests(c, trace);
  EXPECT_EQ(seen().served, (std::vector<RequestorId>{7, 0, 65535}));
}

// An initiator thread that reads with a requestor id on its payload.
struct Reader : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Reader> socket{"socket"};
  std::vector<std::pair<uint64_t, RequestorId>> reads;
  SC_HAS_PROCESS(Reader);
  explicit Reader(sc_core::sc_module_name n) : sc_module(n) { SC_THREAD(run); }
  void run() {
    tlm::tlm_generic_payload p;
    for (const auto& [address, id] : reads) {
      p.set_command(tlm::TLM_READ_COMMAND);
      p.set_address(address);
      p.set_data_ptr(nullptr);
      p.set_data_length(64);
      p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      set_requestor(p, id);
      sc_core::sc_time d = sc_core::SC_ZERO_TIME;
      socket->b_transport(p, d);
    }
  }
};

TEST(ToyScheduler, RequestorsArriveThroughTlm) {
  seen() = Seen{};
  MemoryConfig c = one_channel({"controller.scheduler=test_newest_first"});
  MemorySystem hbm("hbm", c);
  Reader reader("reader");
  reader.reads = {{0, 3}, {64, 42}};
  reader.socket.bind(hbm.socket);
  sc_core::sc_start();
  EXPECT_EQ(seen().served, (std::vector<RequestorId>{3, 42}));
}

// ---- BLISS against FR-FCFS, by hand ------------------------------------------------------------
//
// One pseudo-channel of hbm2 (test::one_channel: tRCDRD 14, tRP 14, tRAS 34, tRC 48, tRTP 6,
// column commands to one bank group 2 cycles apart). Requestor 1 reads twelve columns of row 0
// of bank 0 (A1..A12); requestor 2 one column of row 1 of the same bank (B), submitted after A3.
// All arrive at cycle 0.

struct Read {
  RequestorId who;
  Cycle cycle;
};

std::vector<Read> reads_of(const std::vector<std::string>& sets) {
  MemoryConfig c = one_channel(sets);
  test::Recorder rec(c);
  Controller ctl(c, &rec);
  for (uint32_t i = 0; i < 12; ++i) {
    if (i == 3) {
      ctl.submit(addr(ctl, 0, 0, 1, 0), 64, false, 0, 2);
    }
    ctl.submit(addr(ctl, 0, 0, 0, i), 64, false, 0, 1);
  }
  ctl.drain();
  rec.expect_clean();
  std::vector<Read> out;
  for (const auto& r : rec.log) {
    if (is_read(r.command)) {
      out.push_back(Read{static_cast<RequestorId>(r.row == 0 ? 1 : 2), r.cycle});
    }
  }
  return out;
}

std::string text(const std::vector<Read>& reads) {
  std::string s;
  for (const Read& r : reads) {
    s += (r.who == 1 ? "A@" : "B@") + std::to_string(r.cycle) + " ";
  }
  return s;
}

TEST(Bliss, ServesTheOtherRequestorOnceOneHasAStreak) {
  // FR-FCFS: row hits first. ACT row 0 at 0, A1..A12 at 14, 16, ..., 36; PRE at
  // max(tRAS 0 + 34, tRTP 36 + 6) = 42; ACT row 1 at max(42 + tRP 14, 0 + tRC 48) = 56; B at 70.
  EXPECT_EQ(text(reads_of({})),
            "A@14 A@16 A@18 A@20 A@22 A@24 A@26 A@28 A@30 A@32 A@34 A@36 B@70 ");
  // BLISS (threshold 4): after A5 (at 22) requestor 1 has had five requests served in a row,
  // more than 4: it is blacklisted, and B, not blacklisted, goes before its row hits. PRE at
  // max(0 + 34, 22 + 6) = 34, ACT row 1 at max(34 + 14, 0 + 48) = 48, B at 62; PRE at
  // max(48 + 34, 62 + 6) = 82, ACT row 0 at max(82 + 14, 48 + 48) = 96, A6..A12 at 110..122.
  EXPECT_EQ(text(reads_of({"controller.scheduler=bliss"})),
            "A@14 A@16 A@18 A@20 A@22 B@62 A@110 A@112 A@114 A@116 A@118 A@120 A@122 ");
}

TEST(Bliss, TheBlacklistIsClearedAtTheIntervalBoundary) {
  // Clearing every 30 cycles: requestor 1 is blacklisted at 22 (after A5), B's PRE would go at
  // 34, but at cycle 30 the blacklist is cleared and A6, a row hit again, issues at exactly 30.
  // Requestor 1's streak goes on (six in a row): blacklisted again, so B comes next: PRE at
  // max(34, 30 + 6) = 36, ACT at max(36 + 14, 48) = 50, B at 64 (the clear at 60 changes
  // nothing: B is then the only hit); PRE at max(50 + 34, 64 + 6) = 84, ACT at 98, A7..A12 at
  // 112..122.
  EXPECT_EQ(text(reads_of({"controller.scheduler=bliss",
                           "controller.scheduler.clearing_interval_cycles=30"})),
            "A@14 A@16 A@18 A@20 A@22 A@30 B@64 A@112 A@114 A@116 A@118 A@120 A@122 ");
}

TEST(Bliss, AThresholdOfTwoBlacklistsAfterThree) {
  // A1..A3 at 14, 16, 18; then B: PRE at max(34, 18 + 6) = 34, ACT 48, B 62; the rest as above.
  EXPECT_EQ(text(reads_of({"controller.scheduler={\"name\": \"bliss\", "
                           "\"blacklisting_threshold\": 2}"})),
            "A@14 A@16 A@18 B@62 A@110 A@112 A@114 A@116 A@118 A@120 A@122 A@124 A@126 ");
}

}  // namespace
}  // namespace cimsim::memory
