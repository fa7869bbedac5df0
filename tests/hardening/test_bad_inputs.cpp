// The bad-input catalogue: every way in (machine, workload and memory configs, op traces,
// memory traces, sweep specs, command-line arguments) given something broken.
//
// Each case runs the real CLI (or scripts/sweep.py) as a child process and must end with
// exit code 2 and exactly one line on stderr naming the file and the line or JSON path, the
// bad value and what was expected (the substrings each case lists); within a time limit (no
// hang); with no output file created, a previous output file left as it was, no temporary
// file left anywhere, and nothing on stdout.
//
// Placeholders in file contents, arguments and expected substrings: {IN} the case's input
// directory, {OUT} the report path, {OUTDIR} its directory, {SRC} the source tree, {BIN}
// the cimsim binary.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cimsim/trace/trace_io.hpp"
#include "cimsim/workload/workload.hpp"
#include "process.hpp"
#include "support/harness.hpp"

namespace cimsim::test {
namespace {

constexpr double kTimeoutSeconds = 120;  // generous for sanitizer builds; a case takes < 1 s

enum class Tool { kCimsim, kSweep };
// What the case's command would write: a file (--out {OUT}), a directory ({OUTDIR}/sweep)
// or nothing but stdout.
enum class Output { kFile, kSweepDir, kStdout };

struct Case {
  std::string name;
  Tool tool = Tool::kCimsim;
  std::vector<std::pair<std::string, std::string>> files;  // name in {IN} -> content
  std::vector<std::string> args;
  std::vector<std::string> expect;  // substrings of the stderr line
  Output output = Output::kFile;
};

// ctest shows the parameter next to each test's name: the case's name, not its bytes.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

// ---- inputs the cases start from ------------------------------------------------------------

const char* const kTinyWorkload = R"({"name": "tiny", "model": {"layers": 1, "d_model": 8,
 "heads": 2, "kv_heads": 1, "head_dim": 4, "d_ff": 16, "vocab": 10, "max_context": 16,
 "activation": "gelu", "ffn": "mlp", "norm": "layernorm", "norm_placement": "pre",
 "position": "learned", "bias": true, "tie_embeddings": true},
 "run": {"mode": "decoder", "prompt": 3, "generate": 2}}
)";

// The tiny workload's op trace, lowered in process (the same bytes `cimsim lower` writes).
const std::string& tiny_trace() {
  static const std::string text = [] {
    std::string dir = make_temp_dir();
    write_file(dir + "/tiny.json", kTinyWorkload);
    workload::Workload w = workload::load_workload(dir + "/tiny.json", {});
    auto source = workload::lower(w);
    std::ostringstream out;
    trace::write_trace(*source, out);
    std::filesystem::remove_all(dir);
    return out.str();
  }();
  return text;
}

// The tiny trace with `from` replaced by `to` on line `line` (1-based; the header is line 1).
std::string trace_with(size_t line, const std::string& from, const std::string& to) {
  std::vector<std::string> lines = lines_of(tiny_trace());
  std::string& l = lines.at(line - 1);
  size_t at = l.find(from);
  if (at == std::string::npos) {
    throw std::logic_error("trace line " + std::to_string(line) + " has no " + from);
  }
  l.replace(at, from.size(), to);
  return join_lines(lines);
}

// Deterministic bytes of every value, NUL and 0xff included.
std::string garbage(size_t n, uint32_t seed) {
  std::string s;
  uint32_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    s += static_cast<char>(x >> 24);
  }
  return s;
}

std::string machine_over_a100(const std::string& keys) {
  return R"({"extends": "{SRC}/configs/machines/a100-sxm4-80gb.json", )" + keys + "}";
}
std::string memory_over_hbm2(const std::string& keys) {
  return R"({"extends": "{SRC}/configs/memory/hbm2.json", )" + keys + "}";
}

std::vector<std::string> run_machine(const std::string& machine) {
  return {"run", "--machine", machine, "--workload", "{IN}/tiny.json", "--out", "{OUT}", "-q"};
}
std::vector<std::string> run_workload(const std::string& workload,
                                      std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {"run",    "--machine", "a100-sxm4-80gb", "--workload",
                                workload, "--out",     "{OUT}",          "-q"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}
std::vector<std::string> run_trace(const std::string& trace) {
  return {"run", "--machine", "a100-sxm4-80gb", "--trace", trace, "--out", "{OUT}", "-q"};
}
std::vector<std::string> memtrace(const std::string& memory, const std::string& trace) {
  return {"memtrace", "--memory", memory, "--trace", trace, "--out", "{OUT}", "-q"};
}
std::vector<std::string> sweep(const std::string& spec) {
  return {spec, "-o", "{OUTDIR}/sweep", "--cimsim", "{BIN}"};
}

Case cimsim_case(std::string name, std::vector<std::pair<std::string, std::string>> files,
                 std::vector<std::string> args, std::vector<std::string> expect,
                 Output output = Output::kFile) {
  Case c;
  c.name = std::move(name);
  c.files = std::move(files);
  c.args = std::move(args);
  c.expect = std::move(expect);
  c.output = output;
  return c;
}

Case sweep_case(std::string name, std::string spec, std::vector<std::string> expect) {
  Case c;
  c.name = std::move(name);
  c.tool = Tool::kSweep;
  c.files = {{"s.json", std::move(spec)}};
  c.args = sweep("{IN}/s.json");
  c.expect = std::move(expect);
  c.output = Output::kSweepDir;
  return c;
}

}  // namespace
}  // namespace cimsim::test

#include "bad_input_configs.hpp"  // NOLINT(build/include): the config cases use the helpers above

namespace cimsim::test {
namespace {

std::vector<Case> catalogue() {
  const std::string a100 = read_file(source_path("configs/machines/a100-sxm4-80gb.json"));
  const std::string deep = std::string(100000, '[');
  const std::string& trace = tiny_trace();
  const size_t op_count = lines_of(trace).size() - 1;
  const std::string spec_head = R"({"machines": ["a100-sxm4-80gb"], "workload": "gpt2-small", )";
  std::vector<Case> cases;
  auto add = [&](Case c) { cases.push_back(std::move(c)); };

  add_config_cases(add, a100, deep);

  // ---- command-line arguments ----
  add(cimsim_case("cli_prompt_beyond_64_bits", {},
                  run_workload("{IN}/tiny.json", {"--prompt", "99999999999999999999"}),
                  {"--prompt", "\"99999999999999999999\"", "at most 18446744073709551615"}));
  add(cimsim_case("cli_prompt_negative", {}, run_workload("{IN}/tiny.json", {"--prompt", "-1"}),
                  {"--prompt", "expected an integer >= 1", "\"-1\""}));
  add(cimsim_case("cli_unknown_option", {}, run_workload("{IN}/tiny.json", {"--frobnicate"}),
                  {"--frobnicate", "cimsim run --help"}));
  add(cimsim_case("cli_unknown_command", {}, {"frobnicate"},
                  {"unknown command \"frobnicate\"", "expected one of", "run"}, Output::kStdout));
  add(cimsim_case("cli_set_without_value", {}, run_workload("{IN}/tiny.json", {"--set", "machine"}),
                  {"--set \"machine\"", "expected dotted.path=value"}));
  add(cimsim_case("cli_set_unknown_path", {},
                  run_workload("{IN}/tiny.json", {"--set", "machine.clokc_ghz=1"}),
                  {"--set machine.clokc_ghz=1", "no setting machine.clokc_ghz", "clock_ghz"}));
  add(cimsim_case("cli_set_newline_in_value", {},
                  run_workload("{IN}/tiny.json", {"--set", "machine.clock_ghz=1\n2"}),
                  {"machine.clock_ghz", "\\x0a"}));
  add(cimsim_case("cli_set_huge_value", {},
                  run_workload("{IN}/tiny.json", {"--set", "workload.model.layers=" + deep}),
                  {"--set workload.model.layers=[[[", "...: workload.model.layers",
                   "expected an integer in [1, 16384]"}));
  // Sizes lowering could neither hold nor finish: rejected before anything is built.
  add(cimsim_case("workload_absurd_layers", {},
                  run_workload("{IN}/tiny.json", {"--set", "workload.model.layers=2000000000"}),
                  {"workload.model.layers", "expected an integer in [1, 16384]", "2000000000"}));
  add(cimsim_case("workload_absurd_parameters", {},
                  run_workload("{IN}/tiny.json", {"--set", "workload.model.d_model=20000000",
                                                  "--set", "workload.model.head_dim=10000000"}),
                  {"workload.model", "parameters", "expected at most 10^14"}));
  add(cimsim_case("workload_absurd_op_count", {},
                  run_workload("{IN}/tiny.json", {"--set", "workload.model.layers=1000", "--set",
                                                  "workload.run.generate=100000", "--set",
                                                  "workload.run.allow_context_overflow=true"}),
                  {"workload.run.generate", "ops, expected at most 10^9"}));
  add(cimsim_case("cli_mode_unknown", {}, run_workload("{IN}/tiny.json", {"--mode", "bogus"}),
                  {"--mode bogus: workload.run.mode", "\"bogus\"", "\"decoder\""}));
  add(cimsim_case("cli_out_into_missing_directory", {},
                  {"run", "--machine", "a100-sxm4-80gb", "--workload", "{IN}/tiny.json", "--out",
                   "{OUTDIR}/missing/r.json"},
                  {"{OUTDIR}/missing/r.json", "output directory does not exist"}));
  add(cimsim_case(
      "cli_out_is_a_directory", {},
      {"run", "--machine", "a100-sxm4-80gb", "--workload", "{IN}/tiny.json", "--out", "{OUTDIR}"},
      {"{OUTDIR}", "is a directory, expected a file name"}));
  add(cimsim_case("cli_csv_dir_is_a_file", {},
                  run_workload("{IN}/tiny.json", {"--csv-dir", "{IN}/tiny.json"}),
                  {"{IN}/tiny.json", "is a file, expected a directory"}));
  add(cimsim_case("cli_trace_and_workload", {{"t.jsonl", trace}},
                  run_workload("{IN}/tiny.json", {"--trace", "{IN}/t.jsonl"}),
                  {"--trace", "either --trace or --workload"}));
  add(cimsim_case("cli_memtrace_out_into_missing_directory", {{"ok.trc", "0x0 READ 0\n"}},
                  {"memtrace", "--memory", "hbm2", "--trace", "{IN}/ok.trc", "--out",
                   "{OUTDIR}/missing/r.json"},
                  {"{OUTDIR}/missing/r.json", "output directory does not exist"}));
  add(cimsim_case("cli_lower_out_into_missing_directory", {},
                  {"lower", "--workload", "{IN}/tiny.json", "--out", "{OUTDIR}/missing/t.jsonl"},
                  {"{OUTDIR}/missing/t.jsonl", "output directory does not exist"}));
  add(cimsim_case("cli_config_two_kinds", {},
                  {"config", "--machine", "a100-sxm4-80gb", "--workload", "gpt2-small"},
                  {"cimsim config", "expected exactly one of --machine, --memory or --workload"},
                  Output::kStdout));

  // ---- op traces (cimsim run --trace) ----
  add(cimsim_case("trace_empty", {{"t.jsonl", ""}}, run_trace("{IN}/t.jsonl"),
                  {"{IN}/t.jsonl", "empty file", "expected a trace header line"}));
  add(cimsim_case("trace_header_only", {{"t.jsonl", lines_of(trace)[0] + "\n"}},
                  run_trace("{IN}/t.jsonl"),
                  {"{IN}/t.jsonl", "ends after 0 ops", "op_count = " + std::to_string(op_count)}));
  add(cimsim_case("trace_truncated_last_line", {{"t.jsonl", trace.substr(0, trace.size() - 40)}},
                  run_trace("{IN}/t.jsonl"),
                  {"{IN}/t.jsonl:" + std::to_string(op_count + 1), "truncated line"}));
  add(cimsim_case("trace_unknown_activation",
                  {{"t.jsonl", trace_with(5, "\"L0.norm1.out\"", "\"L0.ghost\"")}},
                  run_trace("{IN}/t.jsonl"),
                  {"{IN}/t.jsonl:5", "op[3].in[0].id", "unknown tensor \"L0.ghost\"",
                   "no earlier op of phase prefill wrote it"}));
  add(cimsim_case("trace_unknown_weight",
                  {{"t.jsonl", trace_with(3, "\"L0.norm1.gamma\"", "\"L9.nothing\"")}},
                  run_trace("{IN}/t.jsonl"),
                  {"{IN}/t.jsonl:3", "op[1].in[1].id", "unknown tensor \"L9.nothing\"",
                   "no weight of that id in the header"}));
  add(cimsim_case(
      "trace_unknown_key", {{"t.jsonl", trace_with(3, "\"flops\":", "\"extra\":1,\"flops\":")}},
      run_trace("{IN}/t.jsonl"), {"{IN}/t.jsonl:3", "op[1].extra", "unknown key", "flops"}));
  add(cimsim_case("trace_wrong_type",
                  {{"t.jsonl", trace_with(3, "\"flops\":", "\"flops\":\"lots\",\"x\":")}},
                  run_trace("{IN}/t.jsonl"), {"{IN}/t.jsonl:3"}));
  add(cimsim_case("trace_binary_garbage", {{"t.jsonl", garbage(8192, 2)}},
                  run_trace("{IN}/t.jsonl"), {"{IN}/t.jsonl:1:", "invalid JSON"}));
  add(cimsim_case("trace_nan", {{"t.jsonl", trace_with(3, "\"flops\":", "\"flops\":NaN,\"x\":")}},
                  run_trace("{IN}/t.jsonl"), {"{IN}/t.jsonl:3:", "\"NaN\" is not a JSON number"}));
  add(cimsim_case("trace_shape_overflows_64_bits",
                  {{"t.jsonl", trace_with(3, "\"rows\":{\"rows\":3,\"cols\":8}",
                                          "\"rows\":{\"rows\":4294967296,\"cols\":4294967296}")}},
                  run_trace("{IN}/t.jsonl"),
                  {"{IN}/t.jsonl:3", "op[1].rows", "64-bit", "4294967296 x 4294967296"}));
  add(cimsim_case(
      "trace_flops_beyond_64_bits",
      {{"t.jsonl", trace_with(3, "\"flops\":", "\"flops\":99999999999999999999999,\"x\":")}},
      run_trace("{IN}/t.jsonl"), {"{IN}/t.jsonl:3"}));
  add(cimsim_case("trace_deeply_nested", {{"t.jsonl", deep + "\n"}}, run_trace("{IN}/t.jsonl"),
                  {"{IN}/t.jsonl:1:65", "nesting deeper than 64 levels"}));
  add(cimsim_case(
      "trace_future_version",
      {{"t.jsonl",
        trace_with(1, "\"format_version\":" + std::to_string(trace::kTraceFormatVersion),
                   "\"format_version\":" + std::to_string(trace::kTraceFormatVersion + 1))}},
      run_trace("{IN}/t.jsonl"),
      {"{IN}/t.jsonl:1", "header.format_version",
       "unsupported version " + std::to_string(trace::kTraceFormatVersion + 1),
       "reads version " + std::to_string(trace::kTraceFormatVersion)}));
  // A node reads the first phase ahead, before the simulation starts.
  add(cimsim_case(
      "trace_bad_first_phase_on_a_node",
      {{"t.jsonl", trace_with(5, "\"flops\":", "\"flops\":\"x\",\"y\":")}},
      {"run", "--machine", "8x-a100-sxm4-80gb", "--set", "machine.node.tensor_parallel=2",
       "--trace", "{IN}/t.jsonl", "--out", "{OUT}", "-q"},
      {"{IN}/t.jsonl:5", "op[3].y", "unknown key"}));
  add(cimsim_case("trace_tensor_parallel_role_on_a_norm",
                  {{"t.jsonl", trace_with(3, "\"flops\":", "\"tp\":\"row\",\"flops\":")}},
                  run_trace("{IN}/t.jsonl"),
                  {"{IN}/t.jsonl:3", "op[1].tp", "only a matmul", "layernorm"}));
  add(cimsim_case(
      "trace_window_on_bidirectional_attention",
      {{"t.jsonl", trace_with(8, "\"causal\":true,\"window\":0", "\"causal\":false,\"window\":2")}},
      run_trace("{IN}/t.jsonl"),
      {"{IN}/t.jsonl:8", "op[6].attn.window", "causal attention only", "got 2"}));
  add(cimsim_case(
      "trace_more_ops_than_declared",
      {{"t.jsonl", trace_with(1, "\"op_count\":" + std::to_string(op_count), "\"op_count\":3")}},
      run_trace("{IN}/t.jsonl"), {"{IN}/t.jsonl:5", "op[3]", "op_count = 3"}));
  add(cimsim_case("trace_is_a_directory", {{"d/keep", ""}}, run_trace("{IN}/d"),
                  {"{IN}/d", "is a directory", "expected a trace file"}));
  add(cimsim_case("trace_missing_file", {}, run_trace("{IN}/missing.jsonl"),
                  {"{IN}/missing.jsonl", "cannot open"}));

  // ---- memory traces (cimsim memtrace) ----
  add(cimsim_case("memtrace_binary_garbage", {{"m.trc", garbage(4096, 3)}},
                  memtrace("hbm2", "{IN}/m.trc"),
                  {"{IN}/m.trc:1", "expected \"0xADDR READ|WRITE CYCLE [REQUESTOR]\""}));
  add(cimsim_case("memtrace_unknown_operation", {{"m.trc", "0x0 READ 1\n0x40 XREAD 2\n"}},
                  memtrace("hbm2", "{IN}/m.trc"),
                  {"{IN}/m.trc:2", "\"0x40 XREAD 2\"", "unknown operation \"XREAD\""}));
  add(cimsim_case("memtrace_cycle_beyond_64_bits",
                  {{"m.trc", "0x0 READ 1\n0x40 READ 99999999999999999999\n"}},
                  memtrace("hbm2", "{IN}/m.trc"),
                  {"{IN}/m.trc:2", "99999999999999999999", "does not fit in 64 bits"}));
  add(cimsim_case("memtrace_address_beyond_64_bits", {{"m.trc", "0x10000000000000000 READ 1\n"}},
                  memtrace("hbm2", "{IN}/m.trc"),
                  {"{IN}/m.trc:1", "0x10000000000000000", "does not fit in 64 bits"}));
  add(cimsim_case("memtrace_address_beyond_capacity", {{"m.trc", "0xffffffffffffffff READ 1\n"}},
                  memtrace("hbm2", "{IN}/m.trc"),
                  {"{IN}/m.trc:1", "0xffffffffffffffff", "capacity of 8589934592 bytes"}));
  add(cimsim_case("memtrace_missing_cycle", {{"m.trc", "# comment\n\n0x40 WRITE\n"}},
                  memtrace("hbm2", "{IN}/m.trc"), {"{IN}/m.trc:3", "missing cycle"}));
  add(cimsim_case("memtrace_is_a_directory", {{"d/keep", ""}}, memtrace("hbm2", "{IN}/d"),
                  {"{IN}/d", "is a directory", "expected a memory trace file"}));

  // ---- sweep specs (scripts/sweep.py) ----
  add(sweep_case("sweep_truncated", spec_head + R"("grid": {"prompt": [1, 2)",
                 {"{IN}/s.json:1:", "invalid JSON"}));
  add(sweep_case("sweep_binary_garbage", garbage(512, 4), {"{IN}/s.json", "not UTF-8"}));
  add(sweep_case("sweep_nan", spec_head + R"("grid": {"prompt": [NaN]}})",
                 {"{IN}/s.json", "non-finite number NaN"}));
  add(sweep_case("sweep_deeply_nested", deep, {"{IN}/s.json", "nested too deeply"}));
  add(sweep_case("sweep_unknown_key", spec_head + R"("grids": {"prompt": [1]}})",
                 {"{IN}/s.json: grids", "unknown key", "grid"}));
  add(sweep_case("sweep_wrong_value", spec_head + R"("grid": {"prompt": [1, "x"]}})",
                 {"{IN}/s.json: grid.prompt[1]", "expected an integer >= 1", "\"x\""}));
  add(sweep_case("sweep_too_many_points", spec_head + R"("grid": {"prompt": [1,2,3,4,5,6,7,8,9,10],
                   "batch": [1,2,3,4,5,6,7,8,9,10], "generate": [1,2,3,4,5,6,7,8,9,10],
                   "workload.model.layers": [1,2,3,4,5,6,7,8,9,10],
                   "workload.model.vocab": [1,2,3,4,5,6,7,8,9,10,11]}})",
                 {"{IN}/s.json: grid", "110000 points", "limit of 100000"}));
  // ---- serving (cimsim serve): request traces, generator, serve settings ----
  auto serve = [](std::vector<std::string> extra) {
    std::vector<std::string> a = {"serve",          "--machine", "a100-sxm4-80gb", "--workload",
                                  "{IN}/tiny.json", "--out",     "{OUT}",          "-q"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  const std::string ok_request = R"({"arrival_s": 0, "prompt_tokens": 10, "output_tokens": 6})";
  const std::vector<std::pair<std::string, std::string>> ok_file = {{"r.jsonl", ok_request}};
  add(cimsim_case("serve_negative_arrival",
                  {{"r.jsonl", R"({"arrival_s": -1, "prompt_tokens": 3, "output_tokens": 2})"}},
                  serve({"--requests", "{IN}/r.jsonl"}),
                  {"{IN}/r.jsonl:1", "arrival_s", ">= 0", "-1"}));
  add(cimsim_case("serve_prompt_longer_than_context",
                  {{"r.jsonl", ok_request + "\n" +
                                   R"({"arrival_s": 1, "prompt_tokens": 20, "output_tokens": 2})"}},
                  serve({"--requests", "{IN}/r.jsonl"}),
                  {"{IN}/r.jsonl:2", "= 22", "context of 16 tokens"}));
  add(cimsim_case("serve_unknown_scheduler", ok_file,
                  serve({"--requests", "{IN}/r.jsonl", "--scheduler", "fifo"}),
                  {"serve.scheduler", "\"fifo\"", "\"continuous\""}));
  add(cimsim_case("serve_zero_block_size", ok_file,
                  serve({"--requests", "{IN}/r.jsonl", "--set", "serve.block_tokens=0"}),
                  {"serve.block_tokens", "in [1, 1048576], got 0"}));
  add(cimsim_case("serve_utilization_over_one", ok_file,
                  serve({"--requests", "{IN}/r.jsonl", "--set", "serve.memory_utilization=1.5"}),
                  {"serve.memory_utilization", "<= 1, got 1.5"}));
  add(cimsim_case("serve_request_over_kv_pool", ok_file,
                  serve({"--requests", "{IN}/r.jsonl", "--set", "serve.block_tokens=4", "--set",
                         "serve.kv_capacity_blocks=1"}),
                  {"request 0", "needs 4 KV blocks of 4 tokens", "at most the 1"}));
  add(cimsim_case(
      "serve_absurd_layers", ok_file,
      serve({"--requests", "{IN}/r.jsonl", "--set", "workload.model.layers=2000000000"}),
      {"workload.model.layers", "expected an integer in [1, 16384]", "2000000000"}));
  add(cimsim_case("serve_kv_pool_sequences_out_of_range", ok_file,
                  serve({"--requests", "{IN}/r.jsonl", "--set", "serve.kv_pool_sequences=-3"}),
                  {"serve.kv_pool_sequences", "-3"}));
  add(cimsim_case("serve_tensor_parallel_not_dividing_heads", ok_file,
                  {"serve", "--machine", "8x-a100-sxm4-80gb", "--workload", "{IN}/tiny.json",
                   "--requests", "{IN}/r.jsonl", "--out", "{OUT}", "-q"},
                  {"machine.node.tensor_parallel", "divisor", "got 8"}));
  add(cimsim_case("serve_negative_rate", {}, serve({"--generate", R"({"rate_per_s": -1})"}),
                  {"--generate", "serve.generator.rate_per_s", "> 0, got -1"}));
  add(cimsim_case("serve_no_requests", {}, serve({}), {"no requests", "--requests", "--generate"}));
  add(cimsim_case("serve_requests_and_generator", ok_file,
                  serve({"--requests", "{IN}/r.jsonl", "--generate", "{}"}),
                  {"--requests", "not both"}));
  add(cimsim_case("serve_missing_request_file", {}, serve({"--requests", "{IN}/none.jsonl"}),
                  {"{IN}/none.jsonl", "cannot read"}));

  return cases;
}

std::string substitute(std::string s, const std::string& in, const std::string& out_dir) {
  const std::pair<std::string, std::string> keys[] = {{"{IN}", in},
                                                      {"{OUTDIR}", out_dir},
                                                      {"{OUT}", out_dir + "/report.json"},
                                                      {"{SRC}", source_dir()},
                                                      {"{BIN}", cimsim_binary()}};
  for (const auto& [key, value] : keys) {
    for (size_t at = s.find(key); at != std::string::npos; at = s.find(key, at + value.size())) {
      s.replace(at, key.size(), value);
    }
  }
  return s;
}

class BadInput : public ::testing::TestWithParam<Case> {};

// Runs the case once; `previous` is the content of a report file that exists beforehand
// (empty: none).
void run_case(const Case& c, const std::string& previous) {
  const std::string in = make_temp_dir(), out_dir = make_temp_dir();
  const std::string report = out_dir + "/report.json";
  write_file(in + "/tiny.json", kTinyWorkload);
  for (const auto& [name, content] : c.files) {
    std::filesystem::path path = std::filesystem::path(in) / name;
    std::filesystem::create_directories(path.parent_path());
    write_file(path.string(), substitute(content, in, out_dir));
  }
  if (!previous.empty()) {
    write_file(report, previous);
  }
  const std::vector<std::string> inputs_before = list_dir(in);
  const std::vector<std::string> outputs_before = list_dir(out_dir);

  std::vector<std::string> argv;
  if (c.tool == Tool::kSweep) {
    argv = {"/usr/bin/python3", source_path("scripts/sweep.py")};
  } else {
    argv = {cimsim_binary()};
  }
  for (const auto& a : c.args) {
    argv.push_back(substitute(a, in, out_dir));
  }
  ProcessResult r = run_with_timeout(argv, kTimeoutSeconds);

  SCOPED_TRACE("stderr: " + r.err);
  EXPECT_FALSE(r.timed_out) << "no answer within " << kTimeoutSeconds << " s";
  EXPECT_EQ(r.exit_code, 2);
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "expected exactly one line on stderr";
  EXPECT_LT(r.err.size(), 1000u) << "a message to read, not a dump of the input";
  EXPECT_EQ(r.err.find("internal error"), std::string::npos);
  EXPECT_EQ(r.err.rfind(c.tool == Tool::kSweep ? "sweep: error: " : "cimsim: error: ", 0), 0u);
  for (const auto& e : c.expect) {
    EXPECT_NE(r.err.find(substitute(e, in, out_dir)), std::string::npos)
        << "expected the message to contain: " << substitute(e, in, out_dir);
  }
  EXPECT_EQ(r.out, "") << "nothing on stdout after an error";
  // Nothing written: no report, no temporary file, the previous report as it was.
  EXPECT_EQ(list_dir(out_dir), outputs_before);
  EXPECT_EQ(list_dir(in), inputs_before);
  if (!previous.empty()) {
    EXPECT_EQ(read_file(report), previous);
  }
  std::filesystem::remove_all(in);
  std::filesystem::remove_all(out_dir);
}

TEST_P(BadInput, ExitsTwoWithOneLineAndWritesNothing) {
  const Case& c = GetParam();
  {
    SCOPED_TRACE("no report file beforehand");
    run_case(c, "");
  }
  if (c.output == Output::kFile) {
    SCOPED_TRACE("a previous report file exists");
    run_case(c, "{\"previous\": \"report\"}\n");
  }
}

INSTANTIATE_TEST_SUITE_P(Catalogue, BadInput, ::testing::ValuesIn(catalogue()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

TEST(BadInputCatalogue, CoversEveryWayIn) {
  std::vector<Case> cases = catalogue();
  EXPECT_GE(cases.size(), 30u);
  for (const char* prefix :
       {"machine_", "memory_", "workload_", "cli_", "trace_", "memtrace_", "sweep_", "serve_"}) {
    size_t n = 0;
    for (const auto& c : cases) {
      n += c.name.rfind(prefix, 0) == 0 ? 1 : 0;
    }
    EXPECT_GE(n, 4u) << prefix;
  }
}

}  // namespace
}  // namespace cimsim::test
