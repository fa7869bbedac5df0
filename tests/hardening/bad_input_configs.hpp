// The bad-input catalogue's config cases (test_bad_inputs.cpp): machine, node, memory, CIM
// sizing, workload, Hugging Face and mixture-of-experts configs. Included once, by the
// catalogue, after its helpers (cimsim_case, run_machine, ...).
#pragma once

namespace cimsim::test {
namespace {

// `a100`: the A100 preset's text; `deep`: JSON nested past any sane depth.
void add_config_cases(const std::function<void(Case)>& add, const std::string& a100,
                      const std::string& deep) {
  // ---- machine configs ----
  // Cut between two keys, so the parser runs out of input where it expects the next key.
  add(cimsim_case("machine_truncated", {{"m.json", a100.substr(0, a100.find("\"compute\""))}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json:", "invalid JSON", "unexpected end of input"}));
  add(cimsim_case("machine_binary_garbage", {{"m.json", garbage(4096, 1)}},
                  run_machine("{IN}/m.json"), {"{IN}/m.json:1:", "invalid JSON"}));
  add(cimsim_case("machine_nan", {{"m.json", machine_over_a100(R"("clock_ghz": NaN)")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json:1:", "\"NaN\" is not a JSON number", "expected a finite number"}));
  add(cimsim_case(
      "machine_infinity", {{"m.json", machine_over_a100("\"clock_ghz\":\n  -Infinity")}},
      run_machine("{IN}/m.json"), {"{IN}/m.json:2:3", "\"-Infinity\" is not a JSON number"}));
  add(cimsim_case("machine_number_overflows_double",
                  {{"m.json", machine_over_a100("\n\"clock_ghz\": 1e999")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json:2:14", "\"1e999\"", "out of range", "expected a finite number"}));
  add(cimsim_case("machine_deeply_nested", {{"m.json", deep}}, run_machine("{IN}/m.json"),
                  {"{IN}/m.json:1:65", "nesting deeper than 64 levels"}));
  add(cimsim_case("machine_cyclic_extends",
                  {{"a.json", R"({"extends": "b.json"})"}, {"b.json", R"({"extends": "a.json"})"}},
                  run_machine("{IN}/a.json"),
                  {"a.json", "cyclic \"extends\"", "a.json -> b.json -> a.json"}));
  add(cimsim_case("machine_unknown_key", {{"m.json", machine_over_a100(R"("clokc_ghz": 1.4)")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.clokc_ghz", "unknown key", "clock_ghz"}));
  add(cimsim_case("machine_wrong_type", {{"m.json", machine_over_a100(R"("clock_ghz": "fast")")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.clock_ghz", "expected a finite number", "\"fast\""}));
  add(cimsim_case("machine_out_of_range",
                  {{"m.json", machine_over_a100(R"("compute": {"units": 0})")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.compute.units", "expected an integer >= 1, got 0"}));
  add(cimsim_case(
      "machine_integer_beyond_64_bits",
      {{"m.json", machine_over_a100(R"("l2": {"capacity_bytes": 18446744073709551616})")}},
      run_machine("{IN}/m.json"),
      {"{IN}/m.json: machine.l2.capacity_bytes", "at most 18446744073709551615",
       "1.8446744073709552e+19"}));
  add(cimsim_case("machine_clock_near_zero",
                  {{"m.json", machine_over_a100(R"("clock_ghz": 1e-300)")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.clock_ghz", "expected a finite number in", "1e-300"}));
  add(cimsim_case("machine_extends_unknown_preset",
                  {{"m.json", R"({"extends": "no-such-machine"})"}}, run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.extends", "\"no-such-machine\"", "a100-sxm4-80gb"}));
  add(cimsim_case("machine_duplicate_key",
                  {{"m.json", machine_over_a100(R"("clock_ghz": 1, "clock_ghz": 2)")}},
                  run_machine("{IN}/m.json"), {"{IN}/m.json", "duplicate key \"clock_ghz\""}));
  add(cimsim_case("machine_not_an_object", {{"m.json", "[1, 2]\n"}}, run_machine("{IN}/m.json"),
                  {"{IN}/m.json", "expected a JSON object at the top level, got array"}));
  add(cimsim_case("machine_empty_file", {{"m.json", ""}}, run_machine("{IN}/m.json"),
                  {"{IN}/m.json:1:1", "invalid JSON", "unexpected end of input"}));
  add(cimsim_case("machine_unknown_type", {{"m.json", machine_over_a100(R"("type": "quantum")")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json", "machine.type", "\"quantum\"", "von_neumann"}));
  add(cimsim_case(
      "machine_unknown_memory_preset", {{"m.json", machine_over_a100(R"("memory": "hbm9")")}},
      run_machine("{IN}/m.json"), {"{IN}/m.json: machine.memory", "\"hbm9\"", "hbm2e"}));
  add(cimsim_case(
      "machine_unknown_attention_kernel",
      {{"m.json", machine_over_a100(R"("attention": "flash9")")}}, run_machine("{IN}/m.json"),
      {"{IN}/m.json: machine.attention", "\"flash9\"", "\"flash\", \"flash2\", \"standard\""}));
  add(cimsim_case(
      "machine_attention_unknown_parameter",
      {{"m.json", machine_over_a100(R"("attention": {"name": "flash", "split_kvv": 2})")}},
      run_machine("{IN}/m.json"),
      {"{IN}/m.json: machine.attention.split_kvv", "unknown key for \"flash\"", "split_kv"}));
  add(cimsim_case(
      "machine_attention_sram_beyond_shared_memory",
      {{"m.json", machine_over_a100(R"("attention": {"name": "flash", "sram_bytes": 1000000})")}},
      run_machine("{IN}/m.json"),
      {"{IN}/m.json: machine.attention.sram_bytes", "at most smem.capacity_bytes = 167936",
       "1000000"}));
  add(cimsim_case(
      "machine_negative_launch_gap",
      {{"m.json", machine_over_a100(R"("execution": {"name": "graph", "gap_ns": -1})")}},
      run_machine("{IN}/m.json"), {"{IN}/m.json: machine.execution.gap_ns", "-1"}));
  add(cimsim_case("machine_edge_tiles_not_a_boolean",
                  {{"m.json", machine_over_a100(R"("gemm": {"full_edge_tiles": "yes"})")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.gemm.full_edge_tiles", "\"yes\"", "true or false"}));
  add(cimsim_case("machine_unknown_execution",
                  {{"m.json", machine_over_a100(R"("execution": "lazy")")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.execution", "\"lazy\"", "\"eager\", \"graph\""}));
  add(cimsim_case("machine_unknown_fusion",
                  {{"m.json", machine_over_a100(R"("fusion": ["add_norm", "qkv"])")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.fusion[1]", "\"qkv\"", "\"merged_gemm\""}));
  add(cimsim_case("machine_fusion_listed_twice",
                  {{"m.json", machine_over_a100(R"("fusion": ["add_norm", "add_norm"])")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.fusion[1]", "each fusion once", "\"add_norm\""}));
  add(cimsim_case("machine_tensor_efficiency_zero",
                  {{"m.json", machine_over_a100(R"("compute": {"tensor_efficiency": 0})")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.compute.tensor_efficiency", "got 0"}));
  add(cimsim_case("machine_negative_area", {{"m.json", machine_over_a100(R"("area_mm2": -826)")}},
                  run_machine("{IN}/m.json"), {"{IN}/m.json: machine.area_mm2", "-826"}));
  add(cimsim_case("machine_unknown_gemm_heuristic",
                  {{"m.json", machine_over_a100(R"("gemm": {"heuristic": "fast"})")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.gemm.heuristic", "\"fast\"", "\"fastest\""}));
  add(cimsim_case(
      "machine_gemm_tile_negative_warp_tile",
      {{"m.json", machine_over_a100(
                      R"("gemm": {"tiles": [{"bm": 64, "bn": 64, "bk": 32, "warp_m": -32}]})")}},
      run_machine("{IN}/m.json"), {"{IN}/m.json: machine.gemm.tiles[0].warp_m", "-32"}));

  // ---- a CIM fabric's mesh routers (docs/cim.md, back-pressure) ----
  const std::string isaac = R"({"extends": "{SRC}/configs/machines/isaac.json", )";
  add(cimsim_case("machine_router_buffer_zero",
                  {{"m.json", isaac + R"("router": {"buffer_flits": 0}})"}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.router.buffer_flits", "expected an integer >= 1, got 0"}));
  add(cimsim_case("machine_router_buffer_fraction",
                  {{"m.json", isaac + R"("router": {"buffer_flits": 2.5}})"}},
                  run_machine("{IN}/m.json"), {"{IN}/m.json: machine.router.buffer_flits", "2.5"}));
  add(cimsim_case("machine_router_buffer_negative_set", {},
                  {"run", "--machine", "isaac", "--workload", "{IN}/tiny.json", "--set",
                   "machine.router.buffer_flits=-8", "--out", "{OUT}", "-q"},
                  {"machine.router.buffer_flits", "-8"}));
  // ---- a CIM tile buffer's ports and banks (docs/cim.md, the buffer port) ----
  add(cimsim_case("machine_tile_buffer_ports_zero",
                  {{"m.json", isaac + R"("tile": {"buffer": {"ports": 0}}})"}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.tile.buffer.ports", "expected an integer >= 1, got 0"}));
  add(cimsim_case("machine_tile_buffer_banks_negative_set", {},
                  {"run", "--machine", "isaac", "--workload", "{IN}/tiny.json", "--set",
                   "machine.tile.buffer.banks=-2", "--out", "{OUT}", "-q"},
                  {"machine.tile.buffer.banks", "-2"}));

  // ---- a node of several devices (machine.node) ----
  const std::string node8 = R"({"extends": "{SRC}/configs/machines/8x-a100-sxm4-80gb.json", )";
  add(cimsim_case(
      "node_more_ranks_than_devices",
      {{"m.json", node8 + R"("node": {"tensor_parallel": 4, "pipeline_parallel": 4}})"}},
      run_machine("{IN}/m.json"),
      {"{IN}/m.json: machine.node.tensor_parallel", "4 x 4 = 16", "at most devices = 8"}));
  add(cimsim_case("node_tensor_parallel_not_dividing_heads",
                  {{"m.json", node8 + R"("node": {"tensor_parallel": 3}})"}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.node.tensor_parallel",
                   "divisor of the model's 2 "
                   "attention heads",
                   "got 3"}));
  add(cimsim_case(
      "node_pipeline_longer_than_the_model",
      {{"m.json", node8 + R"("node": {"tensor_parallel": 1, "pipeline_parallel": 2}})"}},
      run_machine("{IN}/m.json"),
      {"{IN}/m.json: machine.node.pipeline_parallel", "at most the model's 1 layers", "got 2"}));
  add(cimsim_case("node_zero_link_bandwidth",
                  {{"m.json", node8 + R"("node": {"link": {"bandwidth_bytes_per_s": 0}}})"}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.node.link.bandwidth_bytes_per_s", "got 0"}));
  add(cimsim_case("node_unknown_topology",
                  {{"m.json", node8 + R"("node": {"link": {"topology": "mesh"}}})"}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.node.link.topology", "\"mesh\"", "\"nvswitch\""}));
  add(cimsim_case(
      "node_link_named_like_another",
      {{"m.json", node8 + R"("node": {"tensor_parallel": 2, "link": {"name": "hbm"}}})"}},
      run_machine("{IN}/m.json"),
      {"{IN}/m.json: machine.node.link.name", "no other link", "\"hbm\""}));
  add(cimsim_case("node_without_devices", {{"m.json", machine_over_a100(R"("node": {})")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.node.devices", "missing required key"}));

  // ---- memory configs ----
  add(cimsim_case("memory_capacity_overflows_64_bits",
                  {{"mem.json", memory_over_hbm2(R"("organisation": {"stacks": 64,
                      "channels_per_stack": 64, "pseudo_channels": 4, "bank_groups": 8,
                      "banks_per_group": 8, "rows": 16777216, "columns": 65536,
                      "bus_width_bits": 1024, "burst_length": 64})")},
                   {"ok.trc", "0x0 READ 0\n"}},
                  memtrace("{IN}/mem.json", "{IN}/ok.trc"),
                  {"{IN}/mem.json: memory.organisation", "overflows 64 bits", "expected"}));
  add(cimsim_case(
      "memory_unknown_key",
      {{"mem.json", memory_over_hbm2(R"("timing": {"tXYZ": 3})")}, {"ok.trc", "0x0 READ 0\n"}},
      memtrace("{IN}/mem.json", "{IN}/ok.trc"),
      {"{IN}/mem.json: memory.timing.tXYZ", "unknown key", "tRCDRD"}));
  add(cimsim_case("memory_out_of_range",
                  {{"mem.json", memory_over_hbm2(R"("timing": {"tREFI": 18446744073709551615})")},
                   {"ok.trc", "0x0 READ 0\n"}},
                  memtrace("{IN}/mem.json", "{IN}/ok.trc"),
                  {"{IN}/mem.json: memory.timing.tREFI", "expected an integer in [1, ",
                   "18446744073709551615"}));
  add(cimsim_case(
      "memory_split_order_bits",
      {{"mem.json", memory_over_hbm2(R"("address_mapping": {"order": "RoBaBgCo3StChPcBg1"})")},
       {"ok.trc", "0x0 READ 0\n"}},
      memtrace("{IN}/mem.json", "{IN}/ok.trc"),
      {"{IN}/mem.json: memory.address_mapping.order", "bit counts of \"Co\" add up to 3",
       "expected 5"}));
  add(cimsim_case(
      "memory_hash_unknown_field",
      {{"mem.json",
        memory_over_hbm2(R"("address_mapping": {"hash": {"name": "xor", "fields": "BgXx"}})")},
       {"ok.trc", "0x0 READ 0\n"}},
      memtrace("{IN}/mem.json", "{IN}/ok.trc"),
      {"{IN}/mem.json: memory.address_mapping.hash.fields", "\"BgXx\""}));
  add(cimsim_case(
      "memory_scheduler_unknown_parameter",
      {{"mem.json",
        memory_over_hbm2(R"("controller": {"scheduler": {"name": "fcfs", "row_hit_cap": 4}})")},
       {"ok.trc", "0x0 READ 0\n"}},
      memtrace("{IN}/mem.json", "{IN}/ok.trc"),
      {"{IN}/mem.json: memory.controller.scheduler.row_hit_cap", "unknown key"}));
  add(cimsim_case(
      "memory_wrong_type",
      {{"mem.json", memory_over_hbm2(R"("organisation": {"clock_ghz": "1GHz"})")},
       {"ok.trc", "0x0 READ 0\n"}},
      memtrace("{IN}/mem.json", "{IN}/ok.trc"),
      {"{IN}/mem.json: memory.organisation.clock_ghz", "expected a finite number", "\"1GHz\""}));

  // ---- CIM sizing and off-chip memory ----
  auto isaac_with = [](const std::string& keys) {
    return R"({"extends": "{SRC}/configs/machines/isaac.json", )" + keys + "}";
  };
  add(cimsim_case(
      "cim_iso_area_below_one_chip", {{"m.json", isaac_with(R"("iso_area_mm2": 10)")}},
      run_machine("{IN}/m.json"),
      {"{IN}/m.json: machine.iso_area_mm2", "expected at least one chip's area", "got 10"}));
  add(cimsim_case(
      "cim_iso_power_below_one_chip", {{"m.json", isaac_with(R"("iso_power_w": 5)")}},
      run_machine("{IN}/m.json"),
      {"{IN}/m.json: machine.iso_power_w", "expected at least one chip's peak power", "got 5"}));
  add(cimsim_case("cim_both_budgets",
                  {{"m.json", isaac_with(R"("iso_area_mm2": 1000, "iso_power_w": 400)")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.iso_power_w", "either iso_area_mm2 or iso_power_w"}));
  add(cimsim_case("cim_budget_with_fixed_chips",
                  {{"m.json", isaac_with(R"("chips": 4, "iso_area_mm2": 1000)")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.iso_area_mm2", "expected chips \"auto\" with a budget"}));
  add(cimsim_case("cim_iso_area_negative", {{"m.json", isaac_with(R"("iso_area_mm2": -3)")}},
                  run_machine("{IN}/m.json"), {"{IN}/m.json: machine.iso_area_mm2", "-3"}));
  add(cimsim_case("cim_offchip_link_zero_bandwidth",
                  {{"m.json", isaac_with(R"("offchip": {"link": {"bandwidth_gbytes_s": 0}})")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.offchip.link.bandwidth_gbytes_s", "got 0"}));
  add(cimsim_case("cim_offchip_chips_per_stack_string",
                  {{"m.json", isaac_with(R"("offchip": {"chips_per_stack": "two"})")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.offchip.chips_per_stack", "\"two\""}));
  add(cimsim_case("cim_retention_negative",
                  {{"m.json", isaac_with(R"("tile": {"buffer": {"retention_us": -1}})")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.tile.buffer.retention_us", "got -1"}));
  add(cimsim_case(
      "cim_program_iterations_per_level_negative",
      {{"m.json", isaac_with(R"("crossbar": {"program": {"iterations_per_level": -2}})")}},
      run_machine("{IN}/m.json"),
      {"{IN}/m.json: machine.crossbar.program.iterations_per_level", "got -2"}));
  add(cimsim_case("cim_unknown_adc_model", {{"m.json", isaac_with(R"("adc": {"model": "flash"})")}},
                  run_machine("{IN}/m.json"),
                  {"{IN}/m.json: machine.adc.model", "\"sar\", \"table\"", "got \"flash\""}));

  add(cimsim_case(
      "cim_scale_to_unknown_node",
      {{"m.json", isaac_with(R"("technology": {"scale_to": {"process_nm": 5, "vdd": 0.7}})")}},
      run_machine("{IN}/m.json"),
      {"{IN}/m.json: machine.technology.scale_to.process_nm", "Stillmaker and Baas 2017",
       "got 5"}));
  add(cimsim_case(
      "cim_scale_from_untabulated_node",
      {{"m.json",
        R"({"extends": "{SRC}/configs/machines/sram-dcim.json", "technology": {"scale_to": {"process_nm": 7, "vdd": 0.7}}})"}},
      run_machine("{IN}/m.json"),
      {"configs/machines/sram-dcim.json: machine.technology.process_nm", "to scale from",
       "got 22"}));

  add(cimsim_case(
      "cim_activation_overflow_error",
      {{"m.json",
        isaac_with(
            R"("activation_overflow": "error", "tile": {"buffer": {"capacity_bytes": 64}})")}},
      run_machine("{IN}/m.json"),
      {"{IN}/m.json: machine.tile.buffer.capacity_bytes", "activation reserve, which holds 32",
       "machine.activation_overflow is \"error\""}));

  // ---- workload configs ----
  add(cimsim_case("workload_truncated", {{"w.json", std::string(kTinyWorkload).substr(0, 120)}},
                  run_workload("{IN}/w.json"), {"{IN}/w.json:", "invalid JSON"}));
  add(cimsim_case("workload_heads_times_head_dim",
                  {{"w.json", R"({"extends": "tiny.json", "model": {"head_dim": 5}})"}},
                  run_workload("{IN}/w.json"),
                  {"{IN}/w.json: workload.model.head_dim", "heads x head_dim = 2 x 5",
                   "expected it to equal d_model = 8"}));
  add(cimsim_case("workload_unknown_enum",
                  {{"w.json", R"({"extends": "tiny.json", "model": {"activation": "swish"}})"}},
                  run_workload("{IN}/w.json"),
                  {"{IN}/w.json: workload.model.activation", "\"swish\"", "\"gelu\""}));
  add(cimsim_case("workload_missing_key", {{"w.json", R"({"name": "x", "model": {}})"}},
                  run_workload("{IN}/w.json"),
                  {"{IN}/w.json: workload.model.layers", "missing required key"}));
  add(cimsim_case("workload_zero_layers",
                  {{"w.json", R"({"extends": "tiny.json", "model": {"layers": 0}})"}},
                  run_workload("{IN}/w.json"),
                  {"{IN}/w.json: workload.model.layers", "expected an integer in [1, ", "got 0"}));
  add(cimsim_case("workload_nan",
                  {{"w.json", R"({"extends": "tiny.json", "model": {"rope_theta": NaN}})"}},
                  run_workload("{IN}/w.json"), {"{IN}/w.json:1:", "\"NaN\" is not a JSON number"}));
  add(cimsim_case("workload_prompt_beyond_context", {},
                  run_workload("{IN}/tiny.json", {"--prompt", "20"}),
                  {"--prompt 20", "workload.run.prompt", "exceeds model.max_context = 16"}));
  add(cimsim_case("workload_sizes_overflow_64_bits", {},
                  run_workload("gpt2-small",
                               {"--batch", "4000000000000", "--prompt", "1000", "--generate", "1"}),
                  {"gpt2-small.json: workload.run", "do not fit 64-bit counts", "overflows"}));

  // ---- Hugging Face configs and mixture-of-experts settings ----
  auto hf_llama = [](const std::string& extra, int heads = 4) {
    return R"({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 1,
      "intermediate_size": 128, "vocab_size": 100, "max_position_embeddings": 256,
      "num_attention_heads": )" +
           std::to_string(heads) + extra + "}";
  };
  add(cimsim_case(
      "workload_hf_unknown_model_type",
      {{"config.json", R"({"model_type": "t5", "d_model": 512})"}},
      run_workload("{IN}/config.json"),
      {"{IN}/config.json: model_type", "expected one of bert, gpt2, llama", "got \"t5\""}));
  add(cimsim_case("workload_hf_missing_size",
                  {{"config.json", R"({"model_type": "mistral", "num_attention_heads": 4})"}},
                  run_workload("{IN}/config.json"),
                  {"{IN}/config.json: num_hidden_layers", "missing required key"}));
  add(cimsim_case("workload_hf_heads_not_dividing", {{"config.json", hf_llama("", 3)}},
                  run_workload("{IN}/config.json"),
                  {"{IN}/config.json: num_attention_heads",
                   "expected a divisor of hidden_size = 64", "got 3"}));
  add(cimsim_case("workload_hf_rope_scaling",
                  {{"config.json", hf_llama(R"(, "rope_scaling": {"type": "mrope"})")}},
                  run_workload("{IN}/config.json"),
                  {"{IN}/config.json: rope_scaling.type", "linear", "got \"mrope\""}));
  add(cimsim_case("workload_hf_unknown_field",
                  {{"config.json", hf_llama(R"(, "cross_attention_layers": [0])")}},
                  run_workload("{IN}/config.json"),
                  {"{IN}/config.json: cross_attention_layers", "not a field cimsim maps"}));
  add(cimsim_case("workload_hf_wrong_type",
                  {{"config.json", hf_llama(R"(, "tie_word_embeddings": "yes")")}},
                  run_workload("{IN}/config.json"),
                  {"{IN}/config.json: tie_word_embeddings", "expected true or false", "\"yes\""}));
  add(cimsim_case("workload_experts_per_token", {{"w.json", R"({"extends": "tiny.json",
                     "model": {"experts": 4, "experts_per_token": 5}})"}},
                  run_workload("{IN}/w.json"),
                  {"{IN}/w.json: workload.model.experts_per_token",
                   "expected an integer in [1, experts = 4]", "got 5"}));
  add(cimsim_case("workload_expert_distribution_length", {{"w.json", R"({"extends": "tiny.json",
                     "model": {"experts": 4, "experts_per_token": 2},
                     "run": {"expert_distribution": [1, 2]}})"}},
                  run_workload("{IN}/w.json"),
                  {"{IN}/w.json: workload.run.expert_distribution",
                   "one weight per expert (model.experts = 4)", "got 2"}));
  add(cimsim_case(
      "workload_expert_distribution_negative", {},
      run_workload("{IN}/tiny.json", {"--set", "workload.model.experts=2", "--set",
                                      "workload.model.experts_per_token=1", "--set",
                                      "workload.run.expert_distribution=[1,-2]"}),
      {"workload.run.expert_distribution[1]", "expected a finite number >= 0", "got -2"}));
}

}  // namespace
}  // namespace cimsim::test
