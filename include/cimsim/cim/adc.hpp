// The ADC as a component model (the Accelergy lesson: a component answers "how long, how much
// energy, how much area" for its parameters; the simulator only counts conversions).
//
// An AdcModel turns the ADC's resolution and sample rate (machine.adc.bits, .sample_rate_gsps)
// into the figures the rest of the fabric asks for: the MVM timing (mvm.hpp) asks how many
// conversions per ns one ADC sustains, the energy table (energy.hpp) the energy of one
// conversion, the area/power budget its peak power, leakage and area. Implementations are
// registered on machine.adc.model (axes.hpp), one file each:
//   table  the preset's tabulated power, leakage and area at its bits and rate (the source
//          paper's table, e.g. ISAAC's Table II); energy = dynamic power / rate
//   sar    a SAR ADC from its Walden figure of merit (energy per conversion step x 2^ENOB)
//          and a reference design's area scaled by 2^bits (capacitive DAC)
// Left out: non-linearity and noise (resolution is checked, not simulated).
#pragma once

#include <cstdint>
#include <string>

#include "cimsim/cim/axes.hpp"

namespace cimsim::cim {

class AdcModel {
 public:
  virtual ~AdcModel() = default;
  // Conversions per ns one ADC sustains (its sample rate).
  virtual double rate_gsps() const = 0;
  // Energy of one conversion (dynamic), and a line saying where it comes from.
  virtual double energy_pj() const = 0;
  virtual std::string energy_source() const = 0;
  // Power at full rate (dynamic + static), leakage, area: per ADC.
  virtual double peak_power_mw() const = 0;
  virtual double static_mw() const = 0;
  virtual double area_mm2() const = 0;
};

}  // namespace cimsim::cim
