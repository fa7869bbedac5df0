// Tiny models whose every op can be worked out by hand, and helpers to collect a trace.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cimsim/config/overrides.hpp"
#include "cimsim/workload/workload.hpp"

namespace cimsim::test {

// A preset or workload file with --set assignments ("workload.run.prompt=7", ...).
inline workload::Workload load(const std::string& name_or_file,
                               const std::vector<std::string>& sets = {}) {
  std::vector<config::Assignment> assignments;
  assignments.reserve(sets.size());
  for (const auto& s : sets) {
    assignments.push_back(config::parse_assignment(s));
  }
  return workload::load_workload(name_or_file, assignments);
}

// GPT-2 style: pre-LN layernorm, tanh GELU MLP, learned positions, biases, tied head.
inline workload::Workload tiny_gpt() {
  workload::Workload w;
  w.name = "tiny-gpt";
  auto& m = w.model;
  m.layers = 2;
  m.d_model = 8;
  m.heads = 2;
  m.kv_heads = 2;
  m.head_dim = 4;
  m.d_ff = 32;
  m.vocab = 11;
  m.max_context = 16;
  m.activation = workload::Activation::gelu_tanh;
  m.ffn = workload::Ffn::mlp;
  m.norm = workload::Norm::layernorm;
  m.norm_placement = workload::NormPlacement::pre;
  m.position = workload::Position::learned;
  m.bias = true;
  m.tie_embeddings = true;
  w.run.mode = workload::Mode::decoder;
  w.run.batch = 2;
  w.run.prompt = 3;
  w.run.generate = 3;
  return w;
}

// Llama style: RMSNorm, SwiGLU, RoPE, grouped-query attention (4 heads, 2 KV heads), no
// biases, untied LM head.
inline workload::Workload tiny_llama() {
  workload::Workload w;
  w.name = "tiny-llama";
  auto& m = w.model;
  m.layers = 1;
  m.d_model = 8;
  m.heads = 4;
  m.kv_heads = 2;
  m.head_dim = 2;
  m.d_ff = 12;
  m.vocab = 7;
  m.max_context = 32;
  m.activation = workload::Activation::silu;
  m.ffn = workload::Ffn::gated;
  m.norm = workload::Norm::rmsnorm;
  m.norm_placement = workload::NormPlacement::pre;
  m.position = workload::Position::rope;
  m.bias = false;
  m.tie_embeddings = false;
  w.run.mode = workload::Mode::decoder;
  w.run.batch = 1;
  w.run.prompt = 4;
  w.run.generate = 2;
  return w;
}

// BERT style: post-LN, embedding LayerNorm, token types, erf GELU, biases.
inline workload::Workload tiny_bert() {
  workload::Workload w = tiny_gpt();
  w.name = "tiny-bert";
  auto& m = w.model;
  m.layers = 1;
  m.activation = workload::Activation::gelu;
  m.norm_placement = workload::NormPlacement::post;
  m.type_vocab = 2;
  m.embedding_norm = true;
  w.run.mode = workload::Mode::encoder;
  w.run.batch = 1;
  w.run.prompt = 5;
  w.run.generate = 0;
  return w;
}

// Mixtral style: the Llama model with 4 SwiGLU experts per layer, top-2 routing, and a
// sliding window of 3 keys; 2 layers, a 16-token vocabulary, batch 2.
inline workload::Workload tiny_mixtral() {
  workload::Workload w = tiny_llama();
  w.name = "tiny-mixtral";
  auto& m = w.model;
  m.layers = 2;
  m.vocab = 16;  // at least the 10 token rows of the prefill (a gather reads one per token)
  m.experts = 4;
  m.experts_per_token = 2;
  m.sliding_window = 3;
  w.run.batch = 2;
  w.run.prompt = 5;
  w.run.generate = 3;
  return w;
}

// Every op of a trace (small traces only).
std::vector<trace::Op> collect(trace::OpSource& source);
std::vector<trace::Op> lower_all(const workload::Workload& w);

// The ops of one phase, by name (names are unique within a phase).
std::map<std::string, trace::Op> phase_ops(const std::vector<trace::Op>& ops,
                                           const trace::Phase& phase);

inline std::vector<trace::Op> collect(trace::OpSource& source) {
  std::vector<trace::Op> ops;
  trace::Op op;
  while (source.next(op)) {
    ops.push_back(op);
  }
  return ops;
}

inline std::vector<trace::Op> lower_all(const workload::Workload& w) {
  auto source = workload::lower(w);
  return collect(*source);
}

inline std::map<std::string, trace::Op> phase_ops(const std::vector<trace::Op>& ops,
                                                  const trace::Phase& phase) {
  std::map<std::string, trace::Op> out;
  for (const auto& op : ops) {
    if (op.phase == phase) {
      out.emplace(op.name, op);
    }
  }
  return out;
}

}  // namespace cimsim::test
