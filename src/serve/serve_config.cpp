#include "cimsim/serve/serve_config.hpp"

#include "cimsim/common/error.hpp"
#include "cimsim/config/json_file.hpp"
#include "cimsim/config/overrides.hpp"

namespace cimsim::config {
void Describe<serve::ServeConfig>::fields(Fields<serve::ServeConfig>& f) {
  using S = serve::ServeConfig;
  f.optional("scheduler", &S::scheduler, "batching policy (static, continuous, chunked)");
  f.optional("block_tokens", &S::block_tokens, "tokens per KV block (vLLM block_size)",
             in_range(1, 1 << 20));
  f.optional("kv_capacity_blocks", &S::kv_capacity_blocks,
             "KV blocks of the pool; 0: as many as the machine's memory holds, or, on a "
             "machine that sizes itself for its KV cache (CIM), kv_pool_sequences x the longest "
             "request's blocks",
             in_range(0, 1e12));
  f.optional("kv_pool_sequences", &S::kv_pool_sequences,
             "sequences at the longest request's length the KV pool holds on a machine that "
             "sizes itself for its KV cache (CIM); 0: the scheduler's max_seqs or max_batch",
             in_range(0, 1 << 20));
  f.optional("memory_utilization", &S::memory_utilization,
             "fraction of the memory weights and KV may take (vLLM gpu_memory_utilization)",
             Limits{0.0, 1.0, true});
  f.optional("reuse", &S::reuse, "simulate each iteration shape once (docs/serving.md)");
  f.optional("bucket_tokens", &S::bucket_tokens,
             "base step of the reuse grid for token counts and KV lengths", in_range(1, 1 << 20));
  f.optional("bucket_seqs", &S::bucket_seqs,
             "base step of the reuse grid for sequence counts and logit rows",
             in_range(1, 1 << 20));
  f.optional("steps_per_octave", &S::steps_per_octave,
             "reuse grid points per doubling of a value above its base step", in_range(1, 1024));
  f.optional("generator", &S::generator, "generated requests (instead of --requests FILE)");
}
}  // namespace cimsim::config

namespace cimsim::serve {

ServeConfig load_serve_config(const std::vector<config::Assignment>& sets,
                              const std::string& generator_json) {
  config::ConfigDoc doc;
  doc.root = Json::object();
  doc.root_name = "serve";
  doc.file = "serve settings";
  if (!generator_json.empty()) {
    doc.root["generator"] = config::parse_json_strict(generator_json, "--generate");
    doc.provenance.set_tree("serve.generator", doc.root["generator"], "--generate");
  }
  const Json schema = config::file_schema<ServeConfig>(
      "https://cimsim.invalid/schema/serve.schema.json", "cimsim serving settings");
  for (const auto& a : sets) {
    if (a.root == "serve") config::apply_assignment(doc, a, schema);
  }
  return config::parse<ServeConfig>(doc);
}

}  // namespace cimsim::serve
