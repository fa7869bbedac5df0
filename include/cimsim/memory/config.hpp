// The HBM/DRAM memory configuration: organisation, address mapping, timing, controller policy
// and energy, declared once (config/describe.hpp) so that parsing, defaults, --set overrides,
// JSON Schema and the report's echo of the config all come from the same table.
//
// Units: timings are integer memory-clock cycles named as in JEDEC (tRCD, tRP, ...); the
// memory clock is `organisation.clock_ghz` (the command clock; data moves `data_rate` times
// per clock). Physical quantities carry their unit in the key (_ghz, _bytes, _v, _ma, _pj, _mw).
//
// Presets live in configs/memory/ (hbm2, hbm2e, hbm3); a machine config may say
// "memory": "hbm2e" and override any value by path.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "cimsim/common/json.hpp"
#include "cimsim/config/describe.hpp"
#include "cimsim/config/overrides.hpp"
#include "cimsim/config/registry.hpp"
#include "cimsim/memory/address_hash.hpp"
#include "cimsim/memory/page_policy.hpp"
#include "cimsim/memory/refresh.hpp"
#include "cimsim/memory/scheduler.hpp"

namespace cimsim::memory {

// Independent channels (one command bus each). A JEDEC HBM pseudo-channel shares the command
// bus of its channel with its sibling; cimsim gives every pseudo-channel its own (see
// docs/memory.md, "What is left out").
struct Organisation {
  uint32_t stacks = 1;
  uint32_t channels_per_stack = 8;
  uint32_t pseudo_channels = 1;  // per channel; each is an independent scheduling unit here
  uint32_t bank_groups = 4;      // per pseudo-channel
  uint32_t banks_per_group = 4;
  uint32_t rows = 32768;          // per bank
  uint32_t columns = 64;          // column addresses per row, each bus_width_bits wide
  uint32_t bus_width_bits = 128;  // data bus of one pseudo-channel
  uint32_t burst_length = 4;      // BL: column addresses (data beats) per RD/WR
  uint32_t data_rate = 2;         // data beats per memory clock (2 = DDR)
  double clock_ghz = 1.0;         // memory (command) clock
};

// How a physical address is split. `order` lists the fields from most to least significant
// (Ramulator style): St stack, Ch channel, Pc pseudo-channel, Bg bank group, Ba bank, Ro row,
// Co column (in bursts). The bytes of one burst are always the lowest bits. Each field is a
// mixed-radix digit of its size, so non-power-of-two counts (5 stacks) work; for power-of-two
// sizes this is the usual bit slicing. `hash` then permutes fields (address_hash.hpp).
struct AddressMapping {
  std::string order = "RoBaCoBgPcChSt";
  config::Choice<AddressHashAxis> hash{"none"};
};

struct Timing {
  uint32_t RL = 14;       // read latency (CL): RD to first data beat
  uint32_t WL = 4;        // write latency (CWL): WR to first data beat
  uint32_t tRCDRD = 14;   // ACT to RD, same bank
  uint32_t tRCDWR = 14;   // ACT to WR, same bank
  uint32_t tRP = 14;      // PRE to ACT, same bank
  uint32_t tRAS = 34;     // ACT to PRE, same bank
  uint32_t tRC = 48;      // ACT to ACT, same bank
  uint32_t tCCD_S = 1;    // column to column, different bank group (raised to the burst time)
  uint32_t tCCD_L = 2;    // column to column, same bank group (raised to the burst time)
  uint32_t tRRD_S = 4;    // ACT to ACT, different bank group
  uint32_t tRRD_L = 6;    // ACT to ACT, same bank group
  uint32_t tFAW = 30;     // window holding at most four ACTs
  uint32_t tWTR_S = 6;    // end of write data to RD, different bank group
  uint32_t tWTR_L = 8;    // end of write data to RD, same bank group
  uint32_t tRTP = 4;      // RD to PRE, same bank
  uint32_t tWR = 16;      // end of write data to PRE, same bank (write recovery)
  uint32_t tRTW = 18;     // RD to WR, any bank (read-write bus turnaround)
  uint32_t tRFC = 260;    // all-bank REF to ACT/REF
  uint32_t tRFCpb = 160;  // per-bank REF to ACT of that bank
  uint32_t tREFI = 3900;  // average interval between all-bank REFs
  uint32_t tREFIpb = 0;   // interval between per-bank REFs; 0 = tREFI / banks
  uint32_t tRREFD = 8;    // per-bank REF to REF/ACT of another bank
};

enum class CommandBus { kRowColumn, kSingle };

// The policies are named implementations of their registry axes, each with its own
// parameters (scheduler.hpp, page_policy.hpp, refresh.hpp).
struct ControllerPolicy {
  config::Choice<PagePolicyAxis> page_policy{"open"};
  config::Choice<SchedulerAxis> scheduler{"fr_fcfs"};
  config::Choice<RefreshAxis> refresh{"all_bank"};
  CommandBus command_bus = CommandBus::kRowColumn;
  uint32_t read_queue_depth = 32;   // bursts per pseudo-channel
  uint32_t write_queue_depth = 32;  // bursts per pseudo-channel
  uint32_t write_high_watermark = 24;
  uint32_t write_low_watermark = 8;
};

// Thrown by a policy's factory for a config it cannot work with (a per-bank refresh interval
// shorter than tRFCpb, a hash that needs powers of two, ...). The config check builds the
// policies once and turns it into an input error at `key`, a path below the memory config.
class PolicyConfigError : public std::runtime_error {
 public:
  PolicyConfigError(std::string key, const std::string& what)
      : std::runtime_error(what), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

enum class EnergyModel { kIdd, kPjPerBit };

// Two ways to give energy. "idd": JEDEC currents and the supply voltage, turned into energy
// per action the way DRAMPower does (Chandrasekar et al., DATE 2011 / DRAMPower manual);
// currents are per pseudo-channel (the unit that has its own banks and command bus).
// "pj_per_bit": energies per action given directly (vendor or paper figures).
struct Energy {
  EnergyModel model = EnergyModel::kIdd;
  double vdd_v = 1.2;
  double idd0_ma = 65;           // one ACT-PRE cycle (tRC) of one bank, others precharged
  double idd2n_ma = 40;          // precharged standby
  double idd3n_ma = 55;          // active standby (a row open)
  double idd4r_ma = 390;         // burst read
  double idd4w_ma = 500;         // burst write
  double idd5ab_ma = 250;        // all-bank refresh
  double idd5pb_ma = 0;          // per-bank refresh; 0 = derive from idd5ab_ma over the banks
  double io_pj_per_bit = 0;      // interface (PHY, interposer) per bit of a burst: io_burst
  double on_die_pj_per_bit = 0;  // moving a burst's data on the die (idd model; 0: IDD4R/W)
  // pj_per_bit model
  double read_pj_per_bit = 0;
  double write_pj_per_bit = 0;
  double act_pre_pj = 0;            // one ACT and its PRE
  double ref_ab_pj = 0;             // one all-bank REF
  double ref_pb_pj = 0;             // one per-bank REF
  double background_mw = 0;         // per pseudo-channel, all banks precharged
  double active_background_mw = 0;  // per pseudo-channel, extra while a row is open
};

struct MemoryConfig {
  std::string name;         // preset name or file, filled by load_memory_config
  std::string description;  // one line for `cimsim info`
  Organisation organisation;
  AddressMapping address_mapping;
  Timing timing;
  ControllerPolicy controller;
  Energy energy;

  // Derived quantities (no state beyond the fields above).
  uint32_t units() const;           // independent pseudo-channels in all stacks
  uint32_t banks_per_unit() const;  // bank groups x banks per group
  uint32_t burst_bytes() const;     // bytes moved by one RD/WR
  uint32_t burst_cycles() const;    // memory clocks the data bus is busy per burst
  uint64_t capacity_bytes() const;
  double peak_bandwidth_bytes_per_s() const;
};

// JSON Schema of a memory config file (configs/memory/*.json).
Json memory_schema();

// Loads a memory preset or file, applies the --set assignments whose root is "memory" (in
// order) and validates everything; InputError (file and JSON path) on any problem.
MemoryConfig load_memory_config(const std::string& name_or_file,
                                const std::vector<config::Assignment>& sets = {});

// Validates an already-parsed document whose root is a memory config (used when a machine
// config has inlined the preset).
MemoryConfig parse_memory_config(const config::ConfigDoc& doc);

}  // namespace cimsim::memory

namespace cimsim::config {

template <>
struct EnumNames<memory::CommandBus> {
  static const std::vector<std::pair<memory::CommandBus, const char*>>& names();
};
template <>
struct EnumNames<memory::EnergyModel> {
  static const std::vector<std::pair<memory::EnergyModel, const char*>>& names();
};

template <>
struct Describe<memory::Organisation> {
  static constexpr const char* doc = "memory organisation: stacks, channels, banks, rows, bus";
  static void fields(Fields<memory::Organisation>& f);
};
template <>
struct Describe<memory::AddressMapping> {
  static constexpr const char* doc = "how physical addresses map onto stacks, channels, banks";
  static void fields(Fields<memory::AddressMapping>& f);
};
template <>
struct Describe<memory::Timing> {
  static constexpr const char* doc = "DRAM timing constraints in memory-clock cycles";
  static void fields(Fields<memory::Timing>& f);
};
template <>
struct Describe<memory::ControllerPolicy> {
  static constexpr const char* doc = "memory-controller policies and queue sizes";
  static void fields(Fields<memory::ControllerPolicy>& f);
};
template <>
struct Describe<memory::Energy> {
  static constexpr const char* doc = "DRAM energy: IDD currents (DRAMPower style) or per action";
  static void fields(Fields<memory::Energy>& f);
};
template <>
struct Describe<memory::MemoryConfig> {
  static constexpr const char* doc = "off-chip memory (HBM) configuration";
  static const PresetKind& preset_kind() { return memory_kind(); }
  static void fields(Fields<memory::MemoryConfig>& f);
};

}  // namespace cimsim::config
