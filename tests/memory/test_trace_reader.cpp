// The memory-trace reader returns the integers that were written, for every width of every
// field and every spelling the format allows (the reader has a word-at-a-time path for the
// common spelling and a general one for the rest; both must agree with the integers).
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "cimsim/memory/memtrace.hpp"
#include "support/harness.hpp"

namespace cimsim::test {
namespace {

struct Line {
  uint64_t address;
  bool write;
  uint64_t cycle;
};

// Reads `text` through a file and returns the requests.
std::vector<memory::TraceRequest> read_all(const std::string& text) {
  const std::string dir = make_temp_dir();
  write_file(dir + "/t.trc", text);
  memory::TraceReader reader(dir + "/t.trc");
  std::vector<memory::TraceRequest> out;
  memory::TraceRequest r;
  while (reader.next(r)) {
    out.push_back(r);
  }
  return out;
}

// A value with exactly `digits` digits in base `base` (the top digit not zero).
uint64_t with_digits(std::mt19937_64& rng, int digits, uint64_t base) {
  uint64_t v = 1 + rng() % (base - 1);
  for (int i = 1; i < digits; ++i) {
    v = v * base + rng() % base;
  }
  return v;
}

std::string hex(uint64_t v, bool upper) {
  char buf[32];
  std::snprintf(buf, sizeof buf, upper ? "%llX" : "%llx", static_cast<unsigned long long>(v));
  return buf;
}

TEST(MemtraceReader, EveryFieldWidthReadsBackItsValue) {
  std::mt19937_64 rng(7);
  std::vector<Line> lines;
  std::string text;
  for (int a = 1; a <= 16; ++a) {
    for (int c = 1; c <= 19; ++c) {
      Line l{with_digits(rng, a, 16), (a + c) % 2 == 1, with_digits(rng, c, 10)};
      if (c == 1) {
        l.cycle = rng() % 10;  // a lone digit, 0 included
      }
      lines.push_back(l);
      text += "0x" + hex(l.address, (a * c) % 3 == 0) + (l.write ? " WRITE " : " READ ") +
              std::to_string(l.cycle) + "\n";
    }
  }
  const auto got = read_all(text);
  ASSERT_EQ(got.size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(got[i].address, lines[i].address) << "line " << i + 1;
    EXPECT_EQ(got[i].write, lines[i].write) << "line " << i + 1;
    EXPECT_EQ(got[i].cycle, lines[i].cycle) << "line " << i + 1;
  }
}

TEST(MemtraceReader, OtherSpellingsReadTheSame) {
  // Blanks, tabs, CR LF, leading zeros, 0X, comments, blank lines and a last line without a
  // newline: the same three requests each time.
  const std::vector<std::string> spellings = {
      "0x40 READ 3\n0xABCdef WRITE 17\n0x0 READ 123456789\n",
      "  0x40\tREAD  3 \r\n# comment\n\n0XabcDEF WRITE\t17\r\n0x000 READ 000123456789",
      "0x0040 READ 03\n   \n0xabcdef WRITE 17 \n0x0 READ 123456789\n"};
  for (const std::string& text : spellings) {
    const auto got = read_all(text);
    ASSERT_EQ(got.size(), 3U) << text;
    EXPECT_EQ(got[0].address, 0x40U);
    EXPECT_FALSE(got[0].write);
    EXPECT_EQ(got[0].cycle, 3U);
    EXPECT_EQ(got[1].address, 0xABCDEFU);
    EXPECT_TRUE(got[1].write);
    EXPECT_EQ(got[1].cycle, 17U);
    EXPECT_EQ(got[2].address, 0U);
    EXPECT_EQ(got[2].cycle, 123456789U);
  }
}

TEST(MemtraceReader, NearMissesOfTheCommonLineAreStillErrors) {
  // Each differs from a valid line in one character that a word-at-a-time parser could
  // overlook; the error names line 2.
  for (const char* bad :
       {"0x40 REA 3", "0x40 READX 3", "0x40 WRIT 3", "0x40 READ 3x", "0x4:0 READ 3",
        "0x40 READ 3:", "0x40 READ 1234567x", "0x40 READ 12345678x", "0x12345678g READ 3",
        "0x G READ 3", "0x40 read 3"}) {
    const std::string text = "0x0 READ 0\n" + std::string(bad) + "\n";
    try {
      read_all(text);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(":2"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace cimsim::test
