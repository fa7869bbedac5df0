// What a machine counts (the Accelergy lesson): components, the actions each performs with
// their energy per action, static power and area per component, and the links data moves on.
//
// A machine declares all of this once, from its config's energy and area tables, before the
// run. During the run it only counts actions and bytes (plain integer adds); energy is
// counts x energy per action plus static power x time, computed after the run
// (report/recorder.hpp). A new technology node is a new table, not new code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cimsim::stats {

using ActionId = uint32_t;
using LinkId = uint32_t;

struct ActionInfo {
  std::string component;  // "hbm", "sm.tensor_core", "tile.adc"
  std::string action;     // "act_pre", "rd_burst", "mac_fp16", "convert"
  double energy_pj = 0;   // energy of one action
  std::string source;     // where energy_pj comes from (carried into the report)
};

struct ComponentInfo {
  std::string name;
  double static_power_w = 0;  // leakage/idle power charged for the whole run
  double area_mm2 = 0;        // 0 if the machine does not model area
  uint64_t instances = 1;     // how many of this component the machine has
};

struct LinkInfo {
  std::string name;         // "hbm", "l2", "smem", "noc", "chip_link"
  std::string description;  // "HBM <-> L2"
};

class Registry {
 public:
  // Declares an action (its component is created if new). Re-declaring returns the same id.
  ActionId action(const std::string& component, const std::string& action, double energy_pj,
                  const std::string& source = "");
  // Declares a component's static power and area (optional; defaults are 0).
  void component(const std::string& name, double static_power_w, double area_mm2,
                 uint64_t instances = 1);
  LinkId link(const std::string& name, const std::string& description);

  const std::vector<ActionInfo>& actions() const { return actions_; }
  const std::vector<ComponentInfo>& components() const { return components_; }
  const std::vector<LinkInfo>& links() const { return links_; }

 private:
  ComponentInfo& find_or_add_component(const std::string& name);
  std::vector<ActionInfo> actions_;
  std::vector<ComponentInfo> components_;
  std::vector<LinkInfo> links_;
};

// Counters sized to a registry: action counts and bytes read/written per link.
struct Counts {
  std::vector<uint64_t> actions;
  std::vector<uint64_t> read_bytes;
  std::vector<uint64_t> write_bytes;

  void reset(const Registry& registry);  // zero, sized to the registry
  void add(const Counts& other);         // overflow-checked
  bool empty() const;

  // Element-wise, for differences of cumulative counts (an op's share = after - before).
  // Overflow and subtracting more than was counted are errors (std::logic_error), never a
  // wrap; a vector shorter than the other's is taken as zero-extended.
  Counts& operator+=(const Counts& other) {
    add(other);
    return *this;
  }
  Counts& operator-=(const Counts& other);
};

inline Counts operator+(Counts a, const Counts& b) {
  return a += b;
}
inline Counts operator-(Counts a, const Counts& b) {
  return a -= b;
}

}  // namespace cimsim::stats
