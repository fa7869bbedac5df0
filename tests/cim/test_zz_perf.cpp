#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

#include "cim/cim_test_util.hpp"
#include "cimsim/workload/workload.hpp"

namespace cimsim::test {

TEST(Perf, Gpt2SmallShape) {
  auto c = preset("isaac");
  auto f = make_fabric(c);
  TinyModel m{12, 768, 12, 12, 64, 3072, 50257};
  const char* mode = std::getenv("PERF_MODE");
  TinyRun r{TinyMode::decoder, 1024, 128, 1};
  if (mode && std::string(mode) == "entp") {
    r = TinyRun{TinyMode::entp, 128, 256, 1};
  }
  if (mode && std::string(mode) == "llama") {
    m = TinyModel{32, 4096, 32, 32, 128, 11008, 32000};
    r = TinyRun{TinyMode::decoder, 2048, 32, 1};
  }
  TinyTrace t(m, r);
  auto t0 = std::chrono::steady_clock::now();
  const char* wl = std::getenv("PERF_WORKLOAD");
  if (wl) {
    std::vector<config::Assignment> sets;
    for (const char* e : {"PERF_SET1", "PERF_SET2", "PERF_SET3"}) {
      if (std::getenv(e)) {
        sets.push_back(config::parse_assignment(std::getenv(e)));
      }
    }
    auto w = workload::load_workload(wl, sets);
    f->start(workload::lower(w));
  } else {
    f->start(t.source());
  }
  auto t1 = std::chrono::steady_clock::now();
  sc_core::sc_start();
  auto t2 = std::chrono::steady_clock::now();
  Json rep = f->report();
  std::cout << "elab " << std::chrono::duration<double>(t1 - t0).count() << " s, run "
            << std::chrono::duration<double>(t2 - t1).count() << " s\n";
  std::cout << rep["latency"].dump(1) << "\n" << rep["metrics"]["system"].dump(1) << "\n";
  std::cout << rep["totals"]["energy_j"] << " J ops " << rep["totals"]["ops"] << "\n";
  for (auto& k : rep["op_kinds"]) {
    std::cout << k["kind"] << " busy " << k["busy_seconds"] << " n " << k["count"] << "\n";
  }
  int i = 0;
  for (auto& o : rep["ops"]) {
    if (i++ < 400 && o["phase_kind"] == "decode" &&
        (o["layer"] == 0 || o["layer"] == 12 || o["layer"] == -1)) {
      std::cout << o["name"] << " " << o["phase_kind"] << " busy " << o["busy_seconds"] << " n "
                << o["count"] << "\n";
    }
  }
  auto ph = rep["phases"];
  for (size_t k = 0; k < 3 && k < ph.size(); ++k) {
    std::cout << ph[k]["phase"] << " start " << ph[k]["start_s"] << " s " << ph[k]["seconds"]
              << "\n";
  }
}

}  // namespace cimsim::test
#include "cimsim/cim/energy.hpp"
namespace cimsim::test {
TEST(Perf, Budgets) {
  for (auto n : {"isaac", "puma", "sram-dcim"}) {
    auto c = preset(n);
    for (bool ext : {false, true}) {
      auto t = cim::budget_totals(c, ext);
      std::cout << n << " ext=" << ext << " pe " << t.pe_power_mw << " mW " << t.pe_area_mm2
                << " mm2; tile " << t.tile_power_mw << " mW " << t.tile_area_mm2 << " mm2; chip "
                << t.chip_power_w << " W " << t.chip_area_mm2 << " mm2\n";
    }
  }
}
}  // namespace cimsim::test
