// Whole-trace FLOP totals against closed forms written here from the model's shape, and
// their approach to the asymptotic forms of Kaplan et al. (2020):
//   decoder: C ~ 2 N n + 2 L n^2 d_attn            (n = tokens processed per sequence)
//   ENTP:    C ~ N n^2 + (4/3) L n^3 d_attn        (prompt of 1, n passes)
// where N is the non-embedding parameter count.
#include <gtest/gtest.h>

#include <cmath>

#include "cimsim/config/overrides.hpp"
#include "tiny_models.hpp"

namespace cimsim::test {
namespace {

using workload::Workload;

// FLOPs of one token row through one layer, outside attention's score/value products:
// 2 per weight (MAC) + 1 per bias element, norms, adds, activation, gate product, rope.
uint64_t per_row_per_layer(const workload::ModelConfig& m) {
  const uint64_t d = m.d_model, f = m.d_ff, q = m.heads * m.head_dim, kv = m.kv_heads * m.head_dim;
  const bool gated = m.ffn == workload::Ffn::gated;
  uint64_t weights = d * q + 2 * d * kv + q * d + (gated ? 3 : 2) * d * f;
  uint64_t biases = m.bias ? q + 2 * kv + d + (gated ? 2 : 1) * f + d : 0;
  uint64_t norm = m.norm == workload::Norm::layernorm ? 7 : 4;
  uint64_t act = m.activation == workload::Activation::silu   ? 4
                 : m.activation == workload::Activation::relu ? 1
                                                              : 9;
  uint64_t small = 2 * norm * d + 2 * d + act * f + (gated ? f : 0);
  if (m.position == workload::Position::rope) {
    small += 3 * (q + kv);
  }
  return 2 * weights + biases + small;
}

uint64_t per_row_embedding(const workload::ModelConfig& m) {
  uint64_t tables =
      1 + (m.position == workload::Position::learned ? 1 : 0) + (m.type_vocab > 0 ? 1 : 0);
  uint64_t norm = m.norm == workload::Norm::layernorm ? 7 : 4;
  return (tables - 1) * m.d_model + (m.embedding_norm ? norm * m.d_model : 0);
}

// Per query-key pair, per layer: 4 head_dim (QK^T and PV) + 5 (softmax), times heads.
uint64_t per_pair(const workload::ModelConfig& m) {
  return uint64_t{m.layers} * m.heads * (4 * m.head_dim + 5);
}

// Final norm (pre-norm models) and LM head over the last position of one sequence.
uint64_t per_sequence_head(const workload::ModelConfig& m) {
  uint64_t norm = m.norm == workload::Norm::layernorm ? 7 : 4;
  return (m.norm_placement == workload::NormPlacement::pre ? norm * m.d_model : 0) +
         2 * m.d_model * m.vocab;
}

uint64_t closed_form(const Workload& w) {
  const auto& m = w.model;
  const uint64_t B = w.run.batch, P = w.run.prompt, G = w.run.generate;
  const uint64_t row = m.layers * per_row_per_layer(m) + per_row_embedding(m);
  switch (w.run.mode) {
    case workload::Mode::decoder: {
      // P + G - 1 positions are fed in; position t (1-based) attends to t keys.
      const uint64_t n = P + G - 1;
      return B * (n * row + per_pair(m) * n * (n + 1) / 2 + G * per_sequence_head(m));
    }
    case workload::Mode::encoder: {
      uint64_t norm = m.norm == workload::Norm::layernorm ? 7 : 4;
      uint64_t final_norm = m.norm_placement == workload::NormPlacement::pre ? norm * m.d_model : 0;
      return B * (P * (row + final_norm) + per_pair(m) * P * P);
    }
    case workload::Mode::entp: {
      uint64_t total = 0;
      for (uint64_t len = P; len < P + G; ++len) {
        total += B * (len * row + per_pair(m) * len * len + per_sequence_head(m));
      }
      return total;
    }
  }
  return 0;
}

struct Sum {
  uint64_t flops = 0, lm_head = 0;
};
Sum sum_flops(const Workload& w) {
  auto source = workload::lower(w);
  Sum s;
  trace::Op op;
  while (source->next(op)) {
    s.flops += op.flops;
    if (op.name == "lm_head") {
      s.lm_head += op.flops;
    }
  }
  return s;
}

Workload preset(const std::string& name, const std::vector<std::string>& sets) {
  return load(name, sets);
}

TEST(Flops, ExactTotalsMatchClosedForms) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"gpt2-small", {"workload.run.prompt=37", "workload.run.generate=11"}},
      {"gpt2-small", {"workload.run.batch=3", "workload.run.attention=split"}},
      {"llama-3-8b", {"workload.run.prompt=20", "workload.run.generate=5"}},
      {"llama-2-7b",
       {"workload.run.mode=entp", "workload.run.prompt=9", "workload.run.generate=4",
        "workload.run.batch=2"}},
      {"opt-1.3b", {"workload.run.prompt=16", "workload.run.generate=3"}},
      {"bert-base", {"workload.run.prompt=64", "workload.run.batch=2"}},
      {"bert-large",
       {"workload.run.mode=entp", "workload.run.prompt=5", "workload.run.generate=3"}},
      {"entp-3l", {"workload.run.prompt=1", "workload.run.generate=40"}},
      {"entp-12l",
       {"workload.run.prompt=30", "workload.run.generate=7", "workload.run.attention=split"}},
  };
  for (const auto& [name, sets] : cases) {
    Workload w = preset(name, sets);
    EXPECT_EQ(sum_flops(w).flops, closed_form(w)) << name;
  }
  for (auto make : {tiny_gpt, tiny_llama, tiny_bert}) {
    Workload w = make();
    EXPECT_EQ(sum_flops(w).flops, closed_form(w)) << w.name;
  }
}

// The tiny GPT's decoder total, added up by hand from the per-op values of test_lowering:
// prefill 25,808; decode steps differ only in attention (kv 4 and 5) and row counts.
TEST(Flops, TinyGptTotalByHand) {
  // Per layer per token row: norms 2 x 56, q k v o 4 x 136, add 2 x 8, up 544, gelu 288,
  // down 520 = 2,024; embedding 8 per row; per sequence the final norm 56 and head 176.
  // Attention 21 per pair and head, 2 heads, 2 layers; pairs per sequence 6 + 4 + 5.
  const uint64_t rows = 2ULL * (3 + 1 + 1);
  const uint64_t expected =
      rows * (2 * 2'024 + 8) + 2ULL * 2 * 2 * 21 * (6 + 4 + 5) + 3ULL * 2 * (56 + 176);
  EXPECT_EQ(sum_flops(tiny_gpt()).flops, expected);
}

double relative_error(double exact, double approx) {
  return std::fabs(exact / approx - 1.0);
}

TEST(Flops, DecoderApproachesTwoNnPlusAttention) {
  for (const std::string name : {"gpt2-small", "gpt2-xl", "llama-2-7b"}) {
    Workload w = preset(name, {"workload.run.prompt=512", "workload.run.generate=512"});
    const auto& m = w.model;
    const double n = 512 + 512 - 1, N = workload::count_parameters(m).non_embedding;
    const double asymptotic = 2 * N * n + 2.0 * m.layers * n * n * m.heads * m.head_dim;
    Sum s = sum_flops(w);
    // The LM head is not in N (Kaplan's de-embedding); everything else is within 2%.
    double err = relative_error(static_cast<double>(s.flops - s.lm_head), asymptotic);
    EXPECT_LT(err, 0.02) << name;
    EXPECT_GT(static_cast<double>(s.flops - s.lm_head), asymptotic) << name;
  }
}

TEST(Flops, EntpApproachesNnSquaredPlusCubicAttention) {
  double previous = 1.0;
  for (uint64_t n : {64u, 256u, 511u}) {  // 1 + 511 tokens fill the 512 context
    Workload w =
        preset("entp-12l", {"workload.run.prompt=1", "workload.run.generate=" + std::to_string(n)});
    const auto& m = w.model;
    const double N = workload::count_parameters(m).non_embedding, dn = static_cast<double>(n);
    const double asymptotic =
        N * dn * dn + 4.0 / 3.0 * m.layers * dn * dn * dn * m.heads * m.head_dim;
    Sum s = sum_flops(w);
    double err = relative_error(static_cast<double>(s.flops - s.lm_head), asymptotic);
    EXPECT_LT(err, 0.03) << n;
    EXPECT_LT(err, previous) << n;  // closer as n grows
    previous = err;
  }
}

}  // namespace
}  // namespace cimsim::test
