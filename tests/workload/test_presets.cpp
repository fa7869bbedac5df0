// The presets against published figures: parameter totals and KV-cache bytes per token.
#include <gtest/gtest.h>

#include "cimsim/config/json_file.hpp"
#include "cimsim/config/overrides.hpp"
#include "cimsim/workload/workload.hpp"
#include "tiny_models.hpp"

namespace cimsim::test {
namespace {

uint64_t total_parameters(const std::string& name) {
  return workload::count_parameters(load(name).model).total;
}

// Totals as published by Hugging Face (model.num_parameters() of the checkpoints) and the
// papers' rounded figures.
TEST(Presets, Gpt2ParameterTotals) {
  EXPECT_EQ(total_parameters("gpt2-small"), 124'439'808u);   // "124M"
  EXPECT_EQ(total_parameters("gpt2-medium"), 354'823'168u);  // "355M"
  EXPECT_EQ(total_parameters("gpt2-large"), 774'030'080u);   // "774M"
  EXPECT_EQ(total_parameters("gpt2-xl"), 1'557'611'200u);    // "1.5B"
  // Without the token and position tables: ~85M (Kaplan et al. count this way).
  auto small = workload::count_parameters(load("gpt2-small").model);
  EXPECT_EQ(small.non_embedding, 124'439'808u - 50'257u * 768 - 1'024u * 768);
}

TEST(Presets, LlamaParameterTotals) {
  EXPECT_EQ(total_parameters("llama-2-7b"), 6'738'415'616u);    // "6.74B"
  EXPECT_EQ(total_parameters("llama-2-13b"), 13'015'864'320u);  // "13.0B"
  EXPECT_EQ(total_parameters("llama-3-8b"), 8'030'261'248u);    // "8.03B"
  // Untied: both the embedding and the LM head are vocabulary tables.
  auto l2 = workload::count_parameters(load("llama-2-7b").model);
  EXPECT_EQ(l2.non_embedding, 6'738'415'616u - uint64_t{2} * 32'000 * 4096);
}

// Llama-2-70B per layer: q and o 8192 x 8192, k and v 8192 x 1024 (8 KV heads of 128), SwiGLU
// 3 x 8192 x 28672, two norms; 80 layers, untied 32000 x 8192 embedding and LM head, final norm.
// Published "68.98B" (68,976,648,192 with Hugging Face's num_parameters()).
TEST(Presets, Llama2_70bParameterTotal) {
  const uint64_t d = 8192, layer = 2 * d * d + 2 * d * 1024 + 3 * d * 28672 + 2 * d;
  const uint64_t total = 80 * layer + d * 2 * 32000 + d;
  EXPECT_EQ(total, 68'976'648'192u);
  EXPECT_EQ(total_parameters("llama-2-70b"), total);
}

// Mistral 7B per layer: q and o 4096^2, k and v 4096 x 1024, SwiGLU 3 x 4096 x 14336, two
// norms; 32 layers, untied 32000 x 4096 tables, final norm. Published "7.24B".
TEST(Presets, Mistral7bParameterTotal) {
  const uint64_t d = 4096, layer = 2 * d * d + 2 * d * 1024 + 3 * d * 14336 + 2 * d;
  const uint64_t total = 32 * layer + d * 2 * 32000 + d;
  EXPECT_EQ(total, 7'241'732'096u);
  EXPECT_EQ(total_parameters("mistral-7b"), total);
}

// Mixtral 8x7B: Mistral's layer with 8 SwiGLU experts and a 4096 x 8 router in place of the
// FFN. Published: 46.7B total, 12.9B active with 2 experts (Hugging Face model card; Jiang et
// al. 2024, Section 2, round them to 47B and 13B).
TEST(Presets, Mixtral8x7bTotalAndActiveParameters) {
  const uint64_t d = 4096, expert = 3 * d * 14336;
  const uint64_t shared = 2 * d * d + 2 * d * 1024 + d * 8 + 2 * d;
  const uint64_t outside = d * 2 * 32000 + d;
  auto p = workload::count_parameters(load("mixtral-8x7b").model);
  EXPECT_EQ(p.total, 32 * (shared + 8 * expert) + outside);
  EXPECT_EQ(p.total, 46'702'792'704u);
  EXPECT_EQ(p.active, 32 * (shared + 2 * expert) + outside);
  EXPECT_EQ(p.active, 12'879'925'248u);
}

TEST(Presets, OptParameterTotalIncludesTheTwoOffsetPositionRows) {
  EXPECT_EQ(total_parameters("opt-1.3b"), 1'315'758'080u);
}

// Hugging Face's BertModel counts 109,482,240 (base) and 335,141,888 (large) including the
// pooler, a d_model x d_model dense layer with bias used only for classification heads; the
// encoder trace stops at the final hidden states, so cimsim counts without it.
TEST(Presets, BertParameterTotalsWithoutThePooler) {
  EXPECT_EQ(total_parameters("bert-base") + (768u * 768 + 768), 109'482'240u);
  EXPECT_EQ(total_parameters("bert-large") + (1024u * 1024 + 1024), 335'141'888u);
}

// ENTP models are GPT-2 blocks: 12 d^2 + 13 d per layer, the vocab and position tables, and
// the final LayerNorm.
TEST(Presets, EntpParameterTotals) {
  auto gpt2_like = [](uint64_t layers, uint64_t d) {
    return layers * (12 * d * d + 13 * d) + 50'257 * d + 512 * d + 2 * d;
  };
  EXPECT_EQ(total_parameters("entp-3l"), gpt2_like(3, 192));
  EXPECT_EQ(total_parameters("entp-6l"), gpt2_like(6, 384));
  EXPECT_EQ(total_parameters("entp-12l"), gpt2_like(12, 768));
}

// KV-cache bytes per token = 2 (K and V) x layers x kv_heads x head_dim x 2 bytes (fp16),
// evaluated by hand per preset. Each preset runs in decoder mode here (batch 2, prompt 5,
// generate 3: 7 positions cached).
TEST(Presets, KvCacheBytesPerToken) {
  const std::vector<std::pair<std::string, uint64_t>> expected = {
      {"gpt2-small", 36'864},     // 2 x 12 x 12 x 64 x 2
      {"gpt2-medium", 98'304},    // 2 x 24 x 16 x 64 x 2
      {"gpt2-large", 184'320},    // 2 x 36 x 20 x 64 x 2
      {"gpt2-xl", 307'200},       // 2 x 48 x 25 x 64 x 2
      {"bert-base", 36'864},      // 2 x 12 x 12 x 64 x 2
      {"bert-large", 98'304},     // 2 x 24 x 16 x 64 x 2
      {"opt-1.3b", 196'608},      // 2 x 24 x 32 x 64 x 2
      {"llama-2-7b", 524'288},    // 2 x 32 x 32 x 128 x 2 = 0.5 MiB
      {"llama-2-13b", 819'200},   // 2 x 40 x 40 x 128 x 2
      {"llama-3-8b", 131'072},    // 2 x 32 x 8 x 128 x 2 = 128 KiB (GQA)
      {"llama-2-70b", 327'680},   // 2 x 80 x 8 x 128 x 2 = 320 KiB (GQA)
      {"mistral-7b", 131'072},    // 2 x 32 x 8 x 128 x 2
      {"mixtral-8x7b", 131'072},  // 2 x 32 x 8 x 128 x 2
      {"entp-3l", 2'304},         // 2 x 3 x 3 x 64 x 2
      {"entp-6l", 9'216},         // 2 x 6 x 6 x 64 x 2
      {"entp-12l", 36'864}};      // 2 x 12 x 12 x 64 x 2
  for (const auto& [name, per_token] : expected) {
    auto w = load(name, {"workload.run.mode=decoder", "workload.run.batch=2",
                         "workload.run.prompt=5", "workload.run.generate=3"});
    auto source = workload::lower(w);
    uint64_t total = 0;
    for (const auto& d : source->header().kv_caches) {
      total += d.bytes;
    }
    EXPECT_EQ(total, per_token * 2 * 7) << name;
  }
}

TEST(Presets, GroupedQueryAttentionShrinksKeyValueProjections) {
  auto w = load("llama-3-8b", {"workload.run.prompt=4", "workload.run.generate=1"});
  auto source = workload::lower(w);
  for (const auto& d : source->header().weights) {
    if (d.id == "L0.attn.k") {
      EXPECT_EQ(d.shape, (std::vector<uint64_t>{4096, 1024}));  // 8 KV heads x 128
    }
    if (d.id == "L0.attn.q") {
      EXPECT_EQ(d.shape, (std::vector<uint64_t>{4096, 4096}));
    }
  }
  EXPECT_EQ(source->header().kv_caches[0].shape, (std::vector<uint64_t>{1, 4, 8, 128}));
}

TEST(Presets, EveryPresetLowersWithItsOwnRunSettingsAndValidHeader) {
  for (const auto& name : config::list_presets(config::workload_kind())) {
    auto w = load(name);
    EXPECT_EQ(w.name, name);
    auto source = workload::lower(w);
    uint64_t ops = 0;
    trace::Op op;
    while (source->next(op)) {
      ++ops;
    }
    EXPECT_EQ(ops, source->header().op_count) << name;
    // Every weight the model has is in the header (BERT's tied LM head shares embed.tok).
    uint64_t params = 0;
    for (const auto& d : source->header().weights) {
      uint64_t n = 1;
      for (uint64_t s : d.shape) {
        n *= s;
      }
      params += n;
    }
    EXPECT_EQ(params, workload::count_parameters(w.model).total) << name;
  }
}

TEST(Presets, DefaultRunModes) {
  EXPECT_EQ(load("gpt2-small").run.mode, workload::Mode::decoder);
  EXPECT_EQ(load("bert-base").run.mode, workload::Mode::encoder);
  EXPECT_EQ(load("entp-6l").run.mode, workload::Mode::entp);
  EXPECT_EQ(load("llama-3-8b").dtypes.weights, trace::DType::fp16);
}

}  // namespace
}  // namespace cimsim::test
