// A tile: its PEs (crossbars, DACs, S+H, ADCs, shift-and-adds, registers), its buffer and
// bus, its digital vector unit and activation units, and its port to the mesh.
//
// A tile is a SystemC module: the fabric hands it jobs over a TLM socket (an MVM run of a
// weight strip, programming a strip, vector work, a buffer access, a send into the mesh,
// or a reservation for dynamic-matmul arrays); the tile answers with when the job's first
// and last results are ready. Inside, the timing is plain C++: a job of many input vectors
// on a strip is one closed form (mvm.hpp) and one reservation of the PEs, never an event per
// bit. Each resource (every PE, the vector unit, the buffer port, the SRAM CIM arrays) keeps
// the time until which it is reserved, so jobs of different ops queue behind each other; a
// job stream overlaps with its producer (it may start on the first input vector but cannot
// finish before the last one arrived plus one vector's latency). A resource is reserved for
// a job's work only, not for the gaps while it waits for a slow input, so streams of
// different ops interleave on a tile (an approximation: rows of an earlier stream that arrive
// late are not delayed by work booked after them).
//
// An MVM's input rows enter the tile's input buffer under credit-based flow control
// (flow_control.hpp): the buffer holds the activation reserve of the tile buffer in packets
// of one flit, its credits split evenly over the PEs; a sender waits while its share is
// full, and streams for the same PEs compete for it; the closed form is kept when nothing
// can interfere.
//
// Left out: buffer bank conflicts, contention between MVM input reads and other buffer users
// (an MVM's buffer and bus time bound its own period only), instruction fetch/decode (PUMA's
// cores); inputs of vector jobs do not take credits.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <cstdint>
#include <map>
#include <systemc>
#include <tlm>
#include <vector>

#include "cimsim/cim/flow_control.hpp"
#include "cimsim/cim/mapper.hpp"
#include "cimsim/cim/noc.hpp"

namespace cimsim::cim {

// Operations a vector job performs (totals over its rows).
struct OpMix {
  uint64_t add = 0, mul = 0, mac = 0, exp = 0, div = 0, act = 0;
  OpMix& operator+=(const OpMix& o);
};

struct TileJob : tlm::tlm_extension<TileJob> {
  enum class Kind : uint8_t { mvm, program, vector, buffer, send, reserve };
  enum class Resource : uint8_t { pes, vector_unit, buffer, sram_cim };
  Kind kind = Kind::mvm;
  Window in;   // inputs available
  Window out;  // results available (set by the tile)
  stats::Counts* counts = nullptr;
  // mvm, program, reserve(pes)
  const Strip* strip = nullptr;
  uint32_t pe0 = 0;  // first PE of the strip in this tile
  uint32_t pes = 0;  // reserve(pes)
  uint64_t vectors = 0;
  uint64_t in_bytes_per_vector = 0, out_bytes_per_vector = 0;
  uint64_t row_blocks = 1;  // mvm: partial sums added in the tile
  bool offset_correction = false;
  // mvm: inputs arrive under credit flow control into the tile's input buffer; the credit
  // loop is the time from a freed slot to a waiting sender's row arriving in it.
  bool bounded_input = false;
  uint64_t credit_loop_ps = 0;
  // vector
  uint64_t rows = 1;
  OpMix mix;
  uint64_t read_bytes = 0, write_bytes = 0;  // vector, buffer
  // send (legs: a path multicast, the first leg's dst_router and bytes as above)
  uint32_t dst_router = 0;
  uint64_t bytes = 0;
  std::vector<MulticastLeg>* legs = nullptr;
  // reserve
  Resource resource = Resource::pes;
  uint64_t fill_ps = 0, per_item_ps = 0, items = 0;

  tlm::tlm_extension_base* clone() const override { return new TileJob(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override {
    *this = static_cast<const TileJob&>(e);
  }
};

struct TileContext {
  const CimConfig* config = nullptr;
  const Actions* ids = nullptr;
  uint64_t cycle_ps = 1000;
  uint32_t activation_bits = 16;
};

class Tile : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Tile> socket;  // jobs from the fabric
  tlm_utils::simple_initiator_socket<Tile> noc;  // to its router
  Tile(const sc_core::sc_module_name& name, const TileContext& ctx);

  // Earliest time the given PEs are free (for planning reprogramming).
  uint64_t pes_free(uint32_t pe0, uint32_t pes) const;
  FlowStats flow_stats() const;
  uint64_t inbox_packets_per_pe() const { return inbox_packets_per_pe_; }
  uint64_t packet_bytes() const { return packet_bytes_; }

 private:
  void b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  Window stream(uint64_t& free, const Window& in, uint64_t fill, uint64_t per_item,
                uint64_t items) const;
  // The buffer port's share of a job: `accesses` width_bits accesses spread over `items`
  // rows, interleaved with every other user of the port (stream_shared). Returns the window
  // of the port's part; the job ends no earlier than its last row.
  Window book_port(const Window& in, uint64_t accesses, uint64_t items);
  uint64_t port_cycles(uint64_t accesses) const;  // at min(ports, banks) per cycle
  Window stream_pes(uint32_t pe0, uint32_t pes, const Window& in, uint64_t fill, uint64_t per_item,
                    uint64_t items);
  void hold_pes(uint32_t pe0, uint32_t pes, uint64_t until);  // busy until at least `until`
  void do_mvm(TileJob& job);
  void do_program(TileJob& job);
  void do_vector(TileJob& job);
  void do_buffer(TileJob& job);
  void do_send(TileJob& job);
  void do_reserve(TileJob& job);
  uint64_t accesses(uint64_t bytes, uint32_t width_bits) const;

  const TileContext& ctx_;
  std::vector<uint64_t> pe_free_;
  uint64_t packet_bytes_;
  uint64_t inbox_packets_per_pe_;
  // The input buffer's credits, split evenly over the PEs: a strip on PEs [pe0, pe0 + pes)
  // has its share (credits per destination, as per virtual channel; a cimsim assumption,
  // ISAAC and PUMA do not describe their flow control). Without it, streams booked in issue
  // order would take every credit of a shared buffer before a later stream for other PEs
  // of the same tile got one, which no fair arbiter does.
  std::map<std::pair<uint32_t, uint32_t>, CreditBuffer> inbox_;
  uint64_t vu_free_ = 0, buf_free_ = 0, sram_free_ = 0;
  tlm::tlm_generic_payload packet_payload_;
  Packet packet_;
};

}  // namespace cimsim::cim
