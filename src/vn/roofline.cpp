#include "cimsim/vn/roofline.hpp"

#include <algorithm>

#include "cimsim/common/enum_names.hpp"

namespace cimsim::vn {

Json roofline(const OpStatsMap& stats,
              const std::function<double(trace::OpKind, trace::DType)>& peak_flops,
              double peak_bytes_per_s) {
  Json roof = Json::array();
  for (const auto& [key, s] : stats) {
    const double pk = peak_flops(s.kind, s.dtype);
    const double ridge = peak_bytes_per_s > 0 ? pk / peak_bytes_per_s : 0;
    const double t = static_cast<double>(s.ps) * 1e-12;
    Json ai = nullptr;
    std::string bound = "none";
    double attainable = 0;
    if (s.flops > 0 && s.hbm_bytes == 0) {
      bound = "compute";
      attainable = pk;
    } else if (s.flops > 0) {
      double v = static_cast<double>(s.flops) / static_cast<double>(s.hbm_bytes);
      ai = v;
      bound = v >= ridge ? "compute" : "memory";
      attainable = std::min(pk, v * peak_bytes_per_s);
    } else if (s.hbm_bytes > 0) {
      ai = 0.0;
    }
    roof.push_back(Json{{"name", key.second},
                        {"phase_kind", config::enum_name(key.first)},
                        {"kind", config::enum_name(s.kind)},
                        {"count", s.count},
                        {"flops", s.flops},
                        {"hbm_bytes", s.hbm_bytes},
                        {"arithmetic_intensity", ai},
                        {"ridge_point", ridge},
                        {"bound", bound},
                        {"achieved_flops_per_s", t > 0 ? static_cast<double>(s.flops) / t : 0.0},
                        {"attainable_flops_per_s", attainable}});
  }
  return roof;
}

}  // namespace cimsim::vn
