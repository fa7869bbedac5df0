#include "cimsim/memory/config.hpp"

#include <cmath>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/memory/address_map.hpp"

namespace cimsim::config {

using memory::CommandBus;
using memory::EnergyModel;

const std::vector<std::pair<CommandBus, const char*>>& EnumNames<CommandBus>::names() {
  static const std::vector<std::pair<CommandBus, const char*>> n = {
      {CommandBus::kRowColumn, "row_column"}, {CommandBus::kSingle, "single"}};
  return n;
}
const std::vector<std::pair<EnergyModel, const char*>>& EnumNames<EnergyModel>::names() {
  static const std::vector<std::pair<EnergyModel, const char*>> n = {
      {EnergyModel::kIdd, "idd"}, {EnergyModel::kPjPerBit, "pj_per_bit"}};
  return n;
}

namespace {
bool power_of_two(uint64_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}
}  // namespace

void Describe<memory::Organisation>::fields(Fields<memory::Organisation>& f) {
  using O = memory::Organisation;
  f.required("stacks", &O::stacks, "HBM stacks", in_range(1, 64));
  f.required("channels_per_stack", &O::channels_per_stack, "channels per stack", in_range(1, 64));
  f.optional("pseudo_channels", &O::pseudo_channels,
             "pseudo-channels per channel (1 = legacy mode)", in_range(1, 4));
  f.required("bank_groups", &O::bank_groups, "bank groups per pseudo-channel", in_range(1, 16));
  f.required("banks_per_group", &O::banks_per_group, "banks per bank group", in_range(1, 16));
  f.required("rows", &O::rows, "rows per bank", in_range(1, 1 << 24));
  f.required("columns", &O::columns, "column addresses per row (each bus_width_bits wide)",
             in_range(1, 1 << 16));
  f.required("bus_width_bits", &O::bus_width_bits, "data bus width of one pseudo-channel",
             in_range(8, 1024));
  f.required("burst_length", &O::burst_length, "BL: data beats per RD/WR", in_range(1, 64));
  f.optional("data_rate", &O::data_rate, "data beats per memory clock (2 = DDR)", in_range(1, 8));
  f.required("clock_ghz", &O::clock_ghz, "memory (command) clock", in_range(0.01, 100));
  f.check([](const O& o, const Check& c) {
    if (o.bank_groups * o.banks_per_group > 64) {
      c.fail("banks_per_group", "expected bank_groups x banks_per_group <= 64, got " +
                                    std::to_string(o.bank_groups * o.banks_per_group));
    }
    if (o.columns % o.burst_length != 0) {
      c.fail("columns", "expected a multiple of burst_length (" + std::to_string(o.burst_length) +
                            "), got " + std::to_string(o.columns));
    }
    if (o.burst_length % o.data_rate != 0) {
      c.fail("burst_length", "expected a multiple of data_rate (" + std::to_string(o.data_rate) +
                                 "), got " + std::to_string(o.burst_length));
    }
    if (o.bus_width_bits % 8 != 0) {
      c.fail("bus_width_bits", "expected a multiple of 8, got " + std::to_string(o.bus_width_bits));
    }
    if (!power_of_two(uint64_t{o.bus_width_bits} / 8 * o.burst_length)) {
      c.fail("burst_length", "bytes per burst (bus_width_bits / 8 x burst_length = " +
                                 std::to_string(o.bus_width_bits / 8 * o.burst_length) +
                                 ") must be a power of two");
    }
  });
}

void Describe<memory::AddressMapping>::fields(Fields<memory::AddressMapping>& f) {
  using A = memory::AddressMapping;
  f.optional("order", &A::order,
             "address fields from most to least significant, each once: St Ch Pc Bg Ba Ro Co "
             "(Co counts bursts; the bytes of a burst are the lowest bits)");
  f.optional("hash", &A::hash, "permutation of the fields after the split");
  f.check([](const A& a, const Check& c) {
    std::string error = memory::AddressMap::check_order(a.order);
    if (!error.empty()) {
      c.fail("order", error);
    }
  });
}

void Describe<memory::Timing>::fields(Fields<memory::Timing>& f) {
  using T = memory::Timing;
  const Limits cycles = in_range(1, 1 << 20);
  f.required("RL", &T::RL, "read latency CL: RD to first data beat", cycles);
  f.required("WL", &T::WL, "write latency CWL: WR to first data beat", cycles);
  f.required("tRCDRD", &T::tRCDRD, "ACT to RD, same bank", cycles);
  f.required("tRCDWR", &T::tRCDWR, "ACT to WR, same bank", cycles);
  f.required("tRP", &T::tRP, "PRE to ACT, same bank", cycles);
  f.required("tRAS", &T::tRAS, "ACT to PRE, same bank", cycles);
  f.required("tRC", &T::tRC, "ACT to ACT, same bank", cycles);
  f.required("tCCD_S", &T::tCCD_S, "column to column, different bank group", cycles);
  f.required("tCCD_L", &T::tCCD_L, "column to column, same bank group", cycles);
  f.required("tRRD_S", &T::tRRD_S, "ACT to ACT, different bank group", cycles);
  f.required("tRRD_L", &T::tRRD_L, "ACT to ACT, same bank group", cycles);
  f.required("tFAW", &T::tFAW, "window holding at most four ACTs", cycles);
  f.required("tWTR_S", &T::tWTR_S, "end of write data to RD, different bank group", cycles);
  f.required("tWTR_L", &T::tWTR_L, "end of write data to RD, same bank group", cycles);
  f.required("tRTP", &T::tRTP, "RD to PRE, same bank", cycles);
  f.required("tWR", &T::tWR, "end of write data to PRE, same bank", cycles);
  f.required("tRTW", &T::tRTW, "RD to WR, any bank (bus turnaround)", cycles);
  f.required("tRFC", &T::tRFC, "all-bank REF to ACT or REF", cycles);
  f.optional("tRFCpb", &T::tRFCpb, "per-bank REF to ACT of that bank", cycles);
  f.required("tREFI", &T::tREFI, "interval between all-bank REFs", cycles);
  f.optional("tREFIpb", &T::tREFIpb, "interval between per-bank REFs (0 = tREFI / banks)",
             in_range(0, 1 << 20));
  f.optional("tRREFD", &T::tRREFD, "per-bank REF to REF or ACT of another bank", cycles);
  f.check([](const T& t, const Check& c) {
    auto need = [&c](bool ok, const char* key, const std::string& what) {
      if (!ok) {
        c.fail(key, what);
      }
    };
    need(t.tRC >= t.tRAS + t.tRP, "tRC",
         "expected tRC >= tRAS + tRP (" + std::to_string(t.tRAS) + " + " + std::to_string(t.tRP) +
             "), got " + std::to_string(t.tRC));
    need(t.tRAS >= t.tRCDRD, "tRAS",
         "expected tRAS >= tRCDRD (" + std::to_string(t.tRCDRD) + "), got " +
             std::to_string(t.tRAS));
    need(t.tCCD_L >= t.tCCD_S, "tCCD_L",
         "expected tCCD_L >= tCCD_S (" + std::to_string(t.tCCD_S) + "), got " +
             std::to_string(t.tCCD_L));
    need(t.tRRD_L >= t.tRRD_S, "tRRD_L",
         "expected tRRD_L >= tRRD_S (" + std::to_string(t.tRRD_S) + "), got " +
             std::to_string(t.tRRD_L));
    need(t.tWTR_L >= t.tWTR_S, "tWTR_L",
         "expected tWTR_L >= tWTR_S (" + std::to_string(t.tWTR_S) + "), got " +
             std::to_string(t.tWTR_L));
    need(t.tFAW >= t.tRRD_S, "tFAW",
         "expected tFAW >= tRRD_S (" + std::to_string(t.tRRD_S) + "), got " +
             std::to_string(t.tFAW));
    need(t.tREFI > t.tRFC, "tREFI",
         "expected tREFI > tRFC (" + std::to_string(t.tRFC) + "), got " + std::to_string(t.tREFI));
    need(t.tRFCpb <= t.tRFC, "tRFCpb",
         "expected tRFCpb <= tRFC (" + std::to_string(t.tRFC) + "), got " +
             std::to_string(t.tRFCpb));
  });
}

void Describe<memory::ControllerPolicy>::fields(Fields<memory::ControllerPolicy>& f) {
  using P = memory::ControllerPolicy;
  f.optional("page_policy", &P::page_policy, "when a column command closes its row");
  f.optional("scheduler", &P::scheduler, "which queued request goes next");
  f.optional("refresh", &P::refresh, "when refreshes fall due");
  f.optional("command_bus", &P::command_bus,
             "row_column: one row and one column command per cycle (HBM); single: one command");
  f.optional("read_queue_depth", &P::read_queue_depth, "read bursts queued per pseudo-channel",
             in_range(1, 4096));
  f.optional("write_queue_depth", &P::write_queue_depth, "write bursts queued per pseudo-channel",
             in_range(1, 4096));
  f.optional("write_high_watermark", &P::write_high_watermark,
             "queued writes that switch the controller to draining writes", in_range(1, 4096));
  f.optional("write_low_watermark", &P::write_low_watermark,
             "queued writes at which draining stops", in_range(0, 4096));
  f.check([](const P& p, const Check& c) {
    if (p.write_high_watermark > p.write_queue_depth) {
      c.fail("write_high_watermark", "expected <= write_queue_depth (" +
                                         std::to_string(p.write_queue_depth) + "), got " +
                                         std::to_string(p.write_high_watermark));
    }
    if (p.write_low_watermark >= p.write_high_watermark) {
      c.fail("write_low_watermark", "expected < write_high_watermark (" +
                                        std::to_string(p.write_high_watermark) + "), got " +
                                        std::to_string(p.write_low_watermark));
    }
  });
}

void Describe<memory::Energy>::fields(Fields<memory::Energy>& f) {
  using E = memory::Energy;
  const Limits nonneg = in_range(0, 1e9);
  f.required("model", &E::model, "idd: from JEDEC currents (DRAMPower); pj_per_bit: given");
  f.optional("vdd_v", &E::vdd_v, "supply voltage VDD", nonneg);
  f.optional("idd0_ma", &E::idd0_ma, "IDD0: one bank ACT-PRE every tRC", nonneg);
  f.optional("idd2n_ma", &E::idd2n_ma, "IDD2N: precharged standby", nonneg);
  f.optional("idd3n_ma", &E::idd3n_ma, "IDD3N: active standby", nonneg);
  f.optional("idd4r_ma", &E::idd4r_ma, "IDD4R: burst read", nonneg);
  f.optional("idd4w_ma", &E::idd4w_ma, "IDD4W: burst write", nonneg);
  f.optional("idd5ab_ma", &E::idd5ab_ma, "IDD5AB: all-bank refresh", nonneg);
  f.optional("idd5pb_ma", &E::idd5pb_ma, "IDD5PB: per-bank refresh (0 = IDD5AB scaled)", nonneg);
  f.optional("io_pj_per_bit", &E::io_pj_per_bit,
             "interface (I/O) energy per bit of a read or write burst (action io_burst)", nonneg);
  f.optional("on_die_pj_per_bit", &E::on_die_pj_per_bit,
             "idd model: on-die data movement per bit of a burst (array to interface), instead "
             "of VDD (IDD4R/IDD4W - IDD3N) tBurst, which describes the same current; 0: from "
             "the currents (pj_per_bit model: read/write_pj_per_bit instead)",
             nonneg);
  f.optional("read_pj_per_bit", &E::read_pj_per_bit, "read energy per bit (pj_per_bit)", nonneg);
  f.optional("write_pj_per_bit", &E::write_pj_per_bit, "write energy per bit (pj_per_bit)", nonneg);
  f.optional("act_pre_pj", &E::act_pre_pj, "one ACT with its PRE (pj_per_bit)", nonneg);
  f.optional("ref_ab_pj", &E::ref_ab_pj, "one all-bank REF (pj_per_bit)", nonneg);
  f.optional("ref_pb_pj", &E::ref_pb_pj, "one per-bank REF (pj_per_bit)", nonneg);
  f.optional("background_mw", &E::background_mw,
             "per pseudo-channel, all banks precharged (pj_per_bit)", nonneg);
  f.optional("active_background_mw", &E::active_background_mw,
             "per pseudo-channel, extra while any row is open (pj_per_bit)", nonneg);
  f.check([](const E& e, const Check& c) {
    if (e.model == EnergyModel::kIdd) {
      if (e.idd3n_ma < e.idd2n_ma) {
        c.fail("idd3n_ma", "expected >= idd2n_ma (" + format_number(e.idd2n_ma) + "), got " +
                               format_number(e.idd3n_ma));
      }
      for (auto [key, v] : {std::pair{"idd4r_ma", e.idd4r_ma}, std::pair{"idd4w_ma", e.idd4w_ma},
                            std::pair{"idd5ab_ma", e.idd5ab_ma}}) {
        if (v < e.idd3n_ma) {
          c.fail(key, std::string("expected >= idd3n_ma (") + format_number(e.idd3n_ma) +
                          "), got " + format_number(v));
        }
      }
    }
  });
}

void Describe<memory::MemoryConfig>::fields(Fields<memory::MemoryConfig>& f) {
  using M = memory::MemoryConfig;
  f.optional("description", &M::description, "one line for `cimsim info`");
  f.required("organisation", &M::organisation, Describe<memory::Organisation>::doc);
  f.optional("address_mapping", &M::address_mapping, Describe<memory::AddressMapping>::doc);
  f.required("timing", &M::timing, Describe<memory::Timing>::doc);
  f.optional("controller", &M::controller, Describe<memory::ControllerPolicy>::doc);
  f.required("energy", &M::energy, Describe<memory::Energy>::doc);
  f.check([](const M& m, const Check& c) {
    try {
      (void)m.capacity_bytes();
    } catch (const OverflowError& e) {
      c.fail("organisation", std::string(e.what()) +
                                 ": expected rows x columns x bus bytes x banks x channels to "
                                 "fit 64 bits");
      return;
    }
    // The policies that depend on the rest of the config are built once, so that one that
    // cannot work with it is an input error here and not a failure when the memory is made.
    try {
      (void)m.controller.refresh.make(m, 0);
      (void)memory::AddressMap(m);
    } catch (const memory::PolicyConfigError& e) {
      c.fail(e.key(), e.what());
    }
  });
}

}  // namespace cimsim::config

namespace cimsim::memory {

uint32_t MemoryConfig::units() const {
  return organisation.stacks * organisation.channels_per_stack * organisation.pseudo_channels;
}
uint32_t MemoryConfig::banks_per_unit() const {
  return organisation.bank_groups * organisation.banks_per_group;
}
uint32_t MemoryConfig::burst_bytes() const {
  return organisation.bus_width_bits / 8 * organisation.burst_length;
}
uint32_t MemoryConfig::burst_cycles() const {
  return organisation.burst_length / organisation.data_rate;
}
uint64_t MemoryConfig::capacity_bytes() const {
  const auto& o = organisation;
  uint64_t row_bytes = checked_mul(o.columns, o.bus_width_bits / 8, "capacity");
  uint64_t c = checked_mul(row_bytes, o.rows, "capacity");
  c = checked_mul(c, banks_per_unit(), "capacity");
  return checked_mul(c, units(), "capacity");
}
double MemoryConfig::peak_bandwidth_bytes_per_s() const {
  const auto& o = organisation;
  return static_cast<double>(units()) * o.bus_width_bits / 8.0 * o.data_rate * o.clock_ghz * 1e9;
}

Json memory_schema() {
  return config::file_schema<MemoryConfig>("https://cimsim.dev/schema/memory.schema.json",
                                           "cimsim memory config");
}

MemoryConfig parse_memory_config(const config::ConfigDoc& doc) {
  MemoryConfig m = config::parse<MemoryConfig>(doc);
  m.name = doc.file;
  return m;
}

MemoryConfig load_memory_config(const std::string& name_or_file,
                                const std::vector<config::Assignment>& sets) {
  config::ConfigDoc doc = config::load_config(config::memory_kind(), name_or_file);
  config::resolve_references<MemoryConfig>(doc);
  Json schema;  // built only if needed: it costs more than the rest of loading
  for (const auto& a : sets) {
    if (a.root != "memory") {
      continue;
    }
    if (schema.is_null()) {
      schema = memory_schema();
    }
    config::apply_assignment(doc, a, schema);
  }
  MemoryConfig m = parse_memory_config(doc);
  m.name = name_or_file;
  return m;
}

}  // namespace cimsim::memory
