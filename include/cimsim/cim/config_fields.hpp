// The field table of CimConfig, as a template so the machine config (which adds the off-chip
// memory) and the stand-alone CimConfig share one declaration. Include only from .cpp files.
#pragma once

#include "cimsim/cim/config.hpp"

namespace cimsim::cim {

template <class T>
void describe_cim_fields(config::Fields<T>& f) {
  using config::at_least;
  using config::in_range;
  using config::positive;
  using B = CimConfig;
  auto m = [](auto B::*member) {
    using M = std::remove_reference_t<decltype(std::declval<B&>().*member)>;
    return static_cast<M T::*>(member);
  };
  f.optional("name", m(&B::name), "short name used in reports");
  f.optional("description", m(&B::description), "one line for `cimsim info`");
  f.required("clock_ghz", m(&B::clock_ghz),
             "digital clock of tiles, buses and routers (the report's cycles)", positive());
  f.optional("chips", m(&B::chips),
             "\"auto\" sizes the system to hold the weights and the KV cache at the longest "
             "context (or to iso_area_mm2 / iso_power_w); a number fixes it (weights that do not "
             "fit are reprogrammed during inference)");
  f.optional("max_chips", m(&B::max_chips), "upper bound for \"auto\" and for a fixed count",
             at_least(1));
  f.optional("iso_area_mm2", m(&B::iso_area_mm2),
             "size the system to this silicon area: the most chips that fit (chips \"auto\")",
             positive());
  f.optional("iso_power_w", m(&B::iso_power_w),
             "size the system to this peak power: the most chips that fit (chips \"auto\")",
             positive());
  f.optional("signed_weights", m(&B::signed_weights),
             "offset: bias-encoded weights, correction in digital; differential: column pairs");
  f.optional("replication", m(&B::replication),
             "\"auto\" copies weights into spare capacity, \"none\", or a fixed copy count");
  f.optional("dynamic_matmul", m(&B::dynamic_matmul),
             "where QK^T and PV run: digital units, SRAM CIM arrays, or written ReRAM crossbars");
  f.optional("mapper", m(&B::mapper), "how weights are placed (spatial: ISAAC's layout)");
  f.optional("weight_bits", m(&B::weight_bits),
             "fixed-point weight width (default: the trace's weight dtype)", in_range(1, 64));
  f.optional("activation_bits", m(&B::activation_bits),
             "fixed-point input width (default: the trace's activation dtype)", in_range(1, 64));
  f.optional("partial_sum_bytes", m(&B::partial_sum_bytes),
             "bytes of a partial sum sent between tiles", in_range(1, 16));
  f.optional("activation_reserve_fraction", m(&B::activation_reserve_fraction),
             "share of each tile buffer kept for activations; the rest may hold KV cache",
             in_range(0, 1));
  f.optional("activation_overflow", m(&B::activation_overflow),
             "an op needing more of a buffer's activation reserve: \"spill\" the excess to the "
             "global buffer or HBM (and read it back), or \"error\" (the run stops)");
  f.required("crossbar", m(&B::crossbar), "crossbar arrays");
  f.optional("dac", m(&B::dac), "input DACs");
  f.optional("sample_hold", m(&B::sample_hold), "sample-and-hold circuits");
  f.optional("adc", m(&B::adc), "ADCs");
  f.optional("shift_add", m(&B::shift_add), "shift-and-add units of a PE");
  f.required("pe", m(&B::pe), "processing elements");
  f.required("tile", m(&B::tile), "tiles");
  f.required("router", m(&B::router), "on-chip mesh");
  f.required("chip", m(&B::chip), "chips");
  f.optional("sram_cim", m(&B::sram_cim), "SRAM CIM arrays for dynamic matmuls");
  f.optional("offchip", m(&B::offchip), "HBM stacks per chip group and their links");
  f.optional("technology", m(&B::technology),
             "node of the figures; scale_to scales them to another node");
  f.check([](const T& c, const config::Check& check) { check_cim_config(c, check); });
}

}  // namespace cimsim::cim
