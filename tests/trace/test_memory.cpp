// Memory stays flat: lowering and reading a trace of millions of ops never hold it whole.
//
// This executable replaces the global operator new/delete to track the bytes of live heap
// allocations and their peak. Streaming a long trace must reach the same peak as streaming a
// short prefix of it (plus a little slack), and stay far below the size of the trace itself:
// robust against machine speed, unlike timing, and exact, unlike RSS.
#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <new>

#include "cimsim/trace/trace_io.hpp"
#include "cimsim/workload/workload.hpp"
#include "support/harness.hpp"

namespace {

std::atomic<int64_t> g_live{0};
std::atomic<int64_t> g_peak{0};

void note_alloc(void* p) {
  if (p == nullptr) {
    return;
  }
  int64_t live = g_live += static_cast<int64_t>(malloc_usable_size(p));
  int64_t peak = g_peak.load();
  while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {
  }
}

void note_free(void* p) {
  if (p != nullptr) {
    g_live -= static_cast<int64_t>(malloc_usable_size(p));
  }
}

void* counted_new(size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) {
    throw std::bad_alloc();
  }
  note_alloc(p);
  return p;
}

}  // namespace

void* operator new(size_t n) {
  return counted_new(n);
}
void* operator new[](size_t n) {
  return counted_new(n);
}
void operator delete(void* p) noexcept {
  note_free(p);
  std::free(p);
}
void operator delete[](void* p) noexcept {
  note_free(p);
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  note_free(p);
  std::free(p);
}
void operator delete[](void* p, size_t) noexcept {
  note_free(p);
  std::free(p);
}

namespace cimsim::test {
namespace {

// Peak live heap above the level at the start, while `run` runs.
int64_t peak_growth(const std::function<void()>& run) {
  int64_t base = g_live.load();
  g_peak = base;
  run();
  return g_peak.load() - base;
}

// A deep, narrow GPT-2-style model: many ops per token, little arithmetic.
workload::Workload deep_model(uint64_t generate) {
  workload::Workload w;
  w.name = "deep";
  auto& m = w.model;
  m.layers = 48;
  m.d_model = 16;
  m.heads = 2;
  m.kv_heads = 2;
  m.head_dim = 8;
  m.d_ff = 64;
  m.vocab = 100;
  m.max_context = 4096;
  m.activation = workload::Activation::gelu_tanh;
  m.ffn = workload::Ffn::mlp;
  m.norm = workload::Norm::layernorm;
  m.norm_placement = workload::NormPlacement::pre;
  m.position = workload::Position::learned;
  w.run.mode = workload::Mode::decoder;
  w.run.prompt = 16;
  w.run.generate = generate;
  return w;
}

uint64_t drain(trace::OpSource& source, uint64_t limit) {
  trace::Op op;
  uint64_t n = 0;
  while (n < limit && source.next(op)) {
    ++n;
  }
  return n;
}

constexpr int64_t kSlackBytes = 64 << 10;

TEST(FlatMemory, LoweringMillionsOfOps) {
  const workload::Workload w = deep_model(4000);  // 48 x 13 + 3 ops per step: 2.5M ops
  uint64_t total = 0;
  int64_t short_run = peak_growth([&] { drain(*workload::lower(w), 20'000); });
  int64_t long_run = peak_growth([&] { total = drain(*workload::lower(w), UINT64_MAX); });
  EXPECT_GT(total, 2'000'000u);
  EXPECT_LE(long_run, short_run + kSlackBytes) << "short " << short_run << " long " << long_run;
  EXPECT_LT(long_run, 4 << 20);  // an op is ~1 KB in memory: the trace would be GBs
}

TEST(FlatMemory, ReadingAMillionOpTraceFile) {
  const std::string dir = make_temp_dir();
  const std::string path = dir + "/long.jsonl";
  const workload::Workload w = deep_model(1650);  // 1.04M ops
  uint64_t written = trace::write_trace_file(*workload::lower(w), path);
  ASSERT_GT(written, 1'000'000u);

  uint64_t read = 0;
  int64_t short_run = peak_growth([&] {
    trace::TraceReader reader(path);
    drain(reader, 20'000);
  });
  int64_t long_run = peak_growth([&] {
    trace::TraceReader reader(path);
    read = drain(reader, UINT64_MAX);
  });
  std::filesystem::remove_all(dir);
  EXPECT_EQ(read, written);
  EXPECT_LE(long_run, short_run + kSlackBytes) << "short " << short_run << " long " << long_run;
  EXPECT_LT(long_run, 4 << 20);
}

// The counting itself works: holding ops does show up.
TEST(FlatMemory, CountingSeesBufferedOps) {
  const workload::Workload w = deep_model(10);
  int64_t held = peak_growth([&] {
    std::vector<trace::Op> all;
    auto source = workload::lower(w);
    trace::Op op;
    while (source->next(op)) {
      all.push_back(op);
    }
  });
  int64_t streamed = peak_growth([&] { drain(*workload::lower(w), UINT64_MAX); });
  EXPECT_GT(held, 10 * streamed);
}

}  // namespace
}  // namespace cimsim::test
