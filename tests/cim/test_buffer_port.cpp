// The tile buffer's port (issue 16 item 2): every user of a tile's buffer (the strips' MVM
// input reads and output writes, vector work, buffer transfers and KV reads) shares
// min(ports, banks) accesses of width_bits per cycle. The booking rule (stream_port,
// flow_control.hpp) by hand, then the fabric: where the port cannot bind the result does not
// depend on it, where it binds more ports help, and banks cap the ports.
#include <gtest/gtest.h>

#include "cim/cim_test_util.hpp"
#include "cimsim/cim/flow_control.hpp"

namespace cimsim::test {
namespace {

TEST(BufferPort, TwoUsersShareThePortsThroughput) {
  // The port as Tile::book_port books it (stream_port: the access latency delays the data, it
  // does not occupy the port). A: 4 rows from t = 0, 2 ps latency, 10 ps of port time each: the
  // port is busy 0 .. 40, A's rows are out from 0 + 10 + 2 = 12 to 40 + 2 = 42. B arrives at 5 with
  // 2 rows: alone its rows would be out at 17 and 27; behind A its first row still goes at 5 + 10 +
  // 2 = 17 (rows interleave), its last waits for A's work: 40 + 2 x 10 + 2 = 62, and the port is
  // busy until 60.
  uint64_t port = 0;
  cim::Window a = cim::stream_port(port, cim::Window{0, 0}, 2, 10, 4);
  EXPECT_EQ(a.first, 12u);
  EXPECT_EQ(a.last, 42u);
  EXPECT_EQ(port, 40u);
  cim::Window b = cim::stream_port(port, cim::Window{5, 5}, 2, 10, 2);
  EXPECT_EQ(b.first, 17u);
  EXPECT_EQ(b.last, 62u);
  EXPECT_EQ(port, 60u);
  uint64_t alone = 0;
  cim::Window b_alone = cim::stream_port(alone, cim::Window{5, 5}, 2, 10, 2);
  EXPECT_EQ(b_alone.first, 17u);
  EXPECT_EQ(b_alone.last, 27u);
}

const TinyModel kModel{2, 256, 4, 4, 64, 1024, 1000};

// Seconds of a 64-token encoder pass on ISAAC with each tile buffer (one elaboration).
std::vector<double> pass_seconds(const std::vector<std::string>& buffers) {
  std::vector<std::unique_ptr<cim::Fabric>> fabrics;
  TinyTrace t(kModel, TinyRun{TinyMode::encoder, 64, 0, 1});
  for (size_t i = 0; i < buffers.size(); ++i) {
    fabrics.push_back(
        make_fabric(preset("isaac", Json::parse(R"({"tile": {"buffer": )" + buffers[i] + "}}")),
                    "f" + std::to_string(i)));
    fabrics.back()->start(t.source());
  }
  sc_core::sc_start();
  std::vector<double> s;
  for (auto& f : fabrics) {
    EXPECT_TRUE(f->done());
    s.push_back(f->report()["phases"][0]["seconds"].get<double>());
  }
  return s;
}

TEST(BufferPort, AWidePortNeverBindsAndANarrowOneDoes) {
  // 65,536-bit accesses: a row's input (256 x 2 bytes) and a strip's outputs are one access
  // each, two cycles per vector per strip against 1,920 cycles of crossbar work (16 x 100 ns
  // at 1.2 GHz): even the 12 IMAs of a tile together cannot fill the port, so 1 or 8 ports
  // give the same time to the picosecond. 4-bit accesses: a row's input alone is 1,024
  // accesses, so one port is slower than 8, and 8 ports behind 1 bank are 1 port.
  const std::vector<double> s = pass_seconds({
      R"({"width_bits": 65536, "ports": 1})",
      R"({"width_bits": 65536, "ports": 8, "banks": 8})",
      R"({"width_bits": 4, "ports": 1})",
      R"({"width_bits": 4, "ports": 8, "banks": 8})",
      R"({"width_bits": 4, "ports": 8, "banks": 1})",
  });
  const double wide1 = s[0], wide8 = s[1], narrow1 = s[2], narrow8 = s[3], narrow8x1 = s[4];
  EXPECT_EQ(wide1, wide8);
  EXPECT_GT(narrow1, 1.5 * narrow8);
  EXPECT_EQ(narrow8x1, narrow1);
}

}  // namespace
}  // namespace cimsim::test
