// Same-node comparisons: scaling a CIM preset's area, energy and delay from the node its
// figures were published at to another node, with the fitted scaling equations of
// A. Stillmaker and B. Baas, "Scaling equations for the accurate prediction of CMOS device
// performance from 180 nm to 7 nm", Integration, the VLSI Journal 58 (2017) 74-81: per node
// (high-performance or low-power flavour below 65 nm) a cubic in Vdd for delay and a
// quadratic in Vdd for energy, fitted to HSPICE results of PTM/ITRS models, and a table of
// area factors between nodes. Their power fit is not used: dynamic power here is energy over
// time, so a unit's power scales by energy factor / delay factor, its leakage likewise
// (an assumption: the paper fits no leakage).
//
// What scales: every CMOS part (DACs, sample-and-holds, ADCs, shift-and-adds, registers,
// buffers, bus, vector and activation units, routers, global buffer, SRAM CIM arrays, other
// listed parts) and the digital clock; area by the area factor, energies by the energy factor,
// delays by the delay factor (the clock and the ADC's rate by its inverse). What does not: the
// ReRAM devices' read and program timing and energy (device physics; their array area does
// scale, with the cell pitch), eDRAM retention, and the chip-to-chip and HBM links (I/O). A
// scaled run says so in metrics.technology and reports the target node as its process.
#pragma once

#include <string>

#include "cimsim/cim/config.hpp"
#include "cimsim/common/json.hpp"

namespace cimsim::cim {

struct NodeFactors {
  double area = 1, energy = 1, delay = 1;
  double power() const { return energy / delay; }
};

// Factors from (nm, vdd) to (nm, vdd); `hp` picks the high-performance fits below 65 nm.
// Throws std::invalid_argument for a node the paper does not tabulate.
NodeFactors stillmaker_factors(double from_nm, double from_vdd, double to_nm, double to_vdd,
                               bool hp);
// The paper's fitted energy and delay polynomials at one node (Table values).
double stillmaker_energy(double nm, double vdd, bool hp);
double stillmaker_delay(double nm, double vdd, bool hp);
bool stillmaker_node(double nm);

// The config scaled to technology.scale_to (unchanged without it).
CimConfig scale_to_node(const CimConfig& c);
// What a scaled run reports (metrics.technology); null when nothing is scaled.
Json technology_json(const CimConfig& c);
// The node the run's figures are at (the target when scaled; 0 if unstated).
double process_nm(const CimConfig& c);

}  // namespace cimsim::cim
