// ADC model "sar": a successive-approximation ADC from its Walden figure of merit.
// Energy per conversion = FoM x 2^ENOB, with ENOB = bits - enob_loss_bits (the Walden FoM is
// power / (2^ENOB x rate)); area = a reference design's area x 2^(bits - reference_bits),
// to first order the capacitive DAC, which doubles with every bit (B. Murmann, "The successive
// approximation register ADC", IEEE Communications Magazine 54(4), 2016). The defaults are
// the 8-bit 1.2 GS/s 32 nm SOI SAR ADC of Kull et al. (IEEE JSSC 48(12), 2013; ISSCC 2013),
// the design ISAAC's ADC is scaled from: 3.1 mW, 0.0015 mm2, 39.3 dB SNDR at Nyquist
// (ENOB 6.24, so 1.76 bits below its 8), Walden FoM 34.4 fJ per conversion step.
#include <cmath>

#include "cimsim/cim/adc.hpp"
#include "cimsim/cim/config.hpp"

namespace cimsim::cim {
namespace {

struct SarParams {
  double fom_fj_per_step = 34.4;
  double enob_loss_bits = 1.76;
  double reference_bits = 8;
  double reference_area_mm2 = 0.0015;
  double static_mw = 0;
};

class SarAdc final : public AdcModel {
 public:
  SarAdc(const SarParams& p, const AdcConfig& c) : p_(p), c_(c) {}
  double rate_gsps() const override { return c_.sample_rate_gsps; }
  double energy_pj() const override {
    return p_.fom_fj_per_step * c_.node_scale.energy *
           std::pow(2.0, static_cast<double>(c_.bits) - p_.enob_loss_bits) * 1e-3;
  }
  std::string energy_source() const override {
    return "SAR: Walden FoM " + config::format_number(p_.fom_fj_per_step) + " fJ x 2^(" +
           std::to_string(c_.bits) + " - " + config::format_number(p_.enob_loss_bits) + ")";
  }
  double peak_power_mw() const override { return energy_pj() * c_.sample_rate_gsps + static_mw(); }
  double static_mw() const override {
    return p_.static_mw * c_.node_scale.energy / c_.node_scale.delay;
  }
  double area_mm2() const override {
    return p_.reference_area_mm2 * c_.node_scale.area *
           std::pow(2.0, static_cast<double>(c_.bits) - p_.reference_bits);
  }

 private:
  SarParams p_;
  AdcConfig c_;
};

}  // namespace
}  // namespace cimsim::cim

namespace cimsim::config {
template <>
struct Describe<cim::SarParams> {
  static constexpr const char* doc = "a SAR ADC from its Walden figure of merit";
  static void fields(Fields<cim::SarParams>& f) {
    using S = cim::SarParams;
    f.optional("fom_fj_per_step", &S::fom_fj_per_step,
               "Walden figure of merit: energy per conversion step", positive());
    f.optional("enob_loss_bits", &S::enob_loss_bits, "bits minus effective bits (ENOB)",
               at_least(0));
    f.optional("reference_bits", &S::reference_bits, "resolution of the reference design",
               at_least(1));
    f.optional("reference_area_mm2", &S::reference_area_mm2, "area of the reference design",
               at_least(0));
    f.optional("static_mw", &S::static_mw, "leakage per ADC", at_least(0));
  }
};
}  // namespace cimsim::config

namespace cimsim::cim {
CIMSIM_REGISTER(AdcModelAxis, SarParams, "sar",
                "SAR ADC: energy = Walden FoM x 2^ENOB, area doubling per bit (Kull et al. 2013)",
                [](const SarParams& p, const AdcConfig& c) -> std::unique_ptr<AdcModel> {
                  return std::make_unique<SarAdc>(p, c);
                });
}  // namespace cimsim::cim
