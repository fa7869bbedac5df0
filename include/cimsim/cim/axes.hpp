// The CIM fabric's policy axes (config/registry.hpp): how a machine config names the ADC
// model, the dynamic-matmul policy and the weight mapper. Each axis is one interface (in its
// own header) with implementations registered by name, one file each:
//   machine.adc.model        adc.hpp             "table" (adc_table.cpp), "sar" (adc_sar.cpp)
//   machine.dynamic_matmul   dynamic_policy.hpp  "digital", "sram_cim", "write_xbar"
//   machine.mapper           mapper.hpp          "spatial" (mapper_spatial.cpp)
// This header only declares the axes, so that the config structs can hold a choice of each
// without depending on the interfaces' headers.
#pragma once

#include <memory>

#include "cimsim/config/registry.hpp"

namespace cimsim::cim {

struct AdcConfig;
struct CimConfig;
class AdcModel;
class DynamicPolicy;
class Mapper;
struct PolicySetup;

struct AdcModelAxis : config::Axis<std::unique_ptr<AdcModel>(const AdcConfig&)> {
  static constexpr const char* key = "machine.adc.model";
  static constexpr const char* doc =
      "how ADC conversion time, energy, static power and area follow from its bits and rate";
};

struct DynamicMatmulAxis : config::Axis<std::unique_ptr<DynamicPolicy>(const PolicySetup&)> {
  static constexpr const char* key = "machine.dynamic_matmul";
  static constexpr const char* doc =
      "where QK^T and PV run: digital units, SRAM CIM arrays, or written ReRAM crossbars";
};

struct MapperAxis : config::Axis<std::unique_ptr<Mapper>()> {
  static constexpr const char* key = "machine.mapper";
  static constexpr const char* doc = "how weights are placed on crossbars, PEs, tiles and chips";
};

}  // namespace cimsim::cim
