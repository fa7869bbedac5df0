#include <gtest/gtest.h>

#include <iostream>

#include "cim/cim_test_util.hpp"

namespace cimsim::test {

TEST(FabricSmoke, TinyDecoderRunsToTheEnd) {
  auto c = preset("isaac");
  auto f = make_fabric(c);
  TinyTrace t(TinyModel{}, TinyRun{TinyMode::decoder, 16, 4, 1});
  f->start(t.source());
  sc_core::sc_start();
  ASSERT_TRUE(f->done());
  Json r = f->report();
  std::cout << r["totals"].dump(1) << "\n" << r["latency"].dump(1) << "\n";
  std::cout << r["metrics"]["system"].dump(1) << "\n" << r["metrics"]["endurance"].dump(1) << "\n";
  EXPECT_GT(r["totals"]["seconds"].get<double>(), 0);
}

}  // namespace cimsim::test
