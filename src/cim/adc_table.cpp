// ADC model "table": the preset's tabulated figures at its resolution and rate (the source
// paper's per-ADC power, leakage and area, e.g. ISAAC Table II's 2 mW, 0.0012 mm2 at 8 bits
// and 1.28 GS/s). Energy per conversion = the dynamic power at full rate (power_mw less its
// leakage static_mw) / the rate, unless the preset gives adc.energy_pj.
#include <algorithm>

#include "cimsim/cim/adc.hpp"
#include "cimsim/cim/config.hpp"

namespace cimsim::cim {
namespace {

class TableAdc final : public AdcModel {
 public:
  explicit TableAdc(const AdcConfig& c) : c_(c) {}
  double rate_gsps() const override { return c_.sample_rate_gsps; }
  double energy_pj() const override {
    return c_.energy_pj ? *c_.energy_pj : std::max(0.0, c_.power_mw - c_.static_mw) / usable_rate();
  }
  std::string energy_source() const override {
    return c_.energy_pj
               ? "config"
               : "adc.power_mw / sample_rate_gsps " + config::format_number(c_.sample_rate_gsps);
  }
  double peak_power_mw() const override { return c_.power_mw; }
  double static_mw() const override { return c_.static_mw; }
  double area_mm2() const override { return c_.area_mm2; }

 private:
  // A digital readout has no ADC and may leave the rate at 0.
  double usable_rate() const { return c_.sample_rate_gsps > 0 ? c_.sample_rate_gsps : 1.0; }
  AdcConfig c_;
};

}  // namespace

CIMSIM_REGISTER(AdcModelAxis, config::NoParams, "table",
                "the preset's tabulated power, leakage and area (energy = power / rate)",
                [](const config::NoParams&, const AdcConfig& c) -> std::unique_ptr<AdcModel> {
                  return std::make_unique<TableAdc>(c);
                });

}  // namespace cimsim::cim
