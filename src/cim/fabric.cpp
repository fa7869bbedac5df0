#include "cimsim/cim/fabric.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/common/error.hpp"

namespace cimsim::cim {

Fabric::Fabric(const sc_core::sc_module_name& module_name, const CimConfig& config,
               Json config_json, const std::string& report_name, exec::RunOptions options,
               const memory::OffChipFactory& memory, ConfigWhere where)
    : sc_core::sc_module(module_name),
      exec::ExecutorBase(report_name, "cim", std::move(config_json), std::move(options)),
      cfg_(config),
      where_(where ? std::move(where) : [](const std::string& path) { return path; }),
      mem_socket_("mem_port"),
      tile_socket_("tiles") {
  mem_ = memory();
  mem_socket_.bind(mem_->target());
  SC_THREAD(run);
}

Fabric::~Fabric() = default;

std::optional<uint64_t> Fabric::kv_budget_bytes(uint64_t weight_bytes, double utilization) const {
  (void)weight_bytes;  // on the crossbars, not in the off-chip memory
  return static_cast<uint64_t>(static_cast<double>(mem_->capacity_bytes()) * utilization);
}

void Fabric::start(std::unique_ptr<trace::OpSource> trace) {
  trace_ = std::move(trace);
  header_ = trace_->header();
  set_ops_total(header_.op_count);
  // The first phase uses every weight: read it ahead to learn how each weight is used.
  trace::Op op;
  while (trace_->next(op)) {
    bool new_phase = !first_phase_.empty() && op.phase != first_phase_.front().phase;
    first_phase_.push_back(op);
    if (new_phase || trace_->phase_complete()) {
      break;
    }
  }
  plan(header_);
  build_modules();
  place_kv(header_);
  ids_ = declare_fabric(cfg_, mapping_.chips, registry());
  mem_->declare(registry());
  start_recording(cfg_.clock_ghz);
  cur_.reset(registry());
  mem_seen_.reset(registry());
  ff_counts_.reset(registry());
  hbm_scalable_.assign(registry().actions().size(), false);
  for (size_t i = 0; i < registry().actions().size(); ++i) {
    const auto& a = registry().actions()[i];
    hbm_scalable_[i] = memory::is_offchip_action(a) && !memory::is_offchip_refresh(a);
  }
  hbm_link_ = memory::find_offchip_link(registry()).value_or(hbm_link_);
}

namespace {
uint32_t bits_of(trace::DType t) {
  return trace::dtype_bits(t);
}
}  // namespace

void Fabric::plan(const trace::TraceHeader& h) {
  std::vector<WeightUse> uses;
  std::unordered_map<std::string, bool> seen, gathered;
  std::optional<uint32_t> act, wbits;
  for (const auto& op : first_phase_) {
    if (op.kind == trace::OpKind::matmul && op.weight() != nullptr &&
        op.weight()->shape.size() >= 2) {
      const auto* w = op.weight();
      if (!wbits) {
        wbits = bits_of(w->dtype);
      }
      for (const auto& t : op.inputs) {
        if (t.kind == trace::TensorKind::activation && !act) {
          act = bits_of(t.dtype);
        }
      }
      if (!seen[w->id]) {
        seen[w->id] = true;
        uses.push_back(WeightUse{w->id, op.layer, op.mm.k, op.mm.n,
                                 cfg_.weight_bits.value_or(bits_of(w->dtype))});
      }
    }
    if (op.kind == trace::OpKind::embedding) {
      for (const auto& t : op.inputs) {
        if (t.kind == trace::TensorKind::weight) {
          gathered[t.id] = true;
        }
      }
    }
  }
  for (const auto& d : h.weights) {
    if (d.shape.size() == 2 && !seen[d.id] && !gathered[d.id]) {
      seen[d.id] = true;
      uses.push_back(WeightUse{d.id, d.layer, d.shape[0], d.shape[1],
                               cfg_.weight_bits.value_or(bits_of(d.dtype))});
    }
    if (gathered[d.id]) {
      embedding_address_.push_back(next_address_);
      next_address_ += d.bytes;
    }
  }
  act_bits_ = cfg_.activation_bits.value_or(act.value_or(16));
  weight_bits_ = cfg_.weight_bits.value_or(wbits.value_or(16));

  MapRequest req;
  req.weights = uses;
  req.activation_bits = act_bits_;
  if (cfg_.dynamic_matmul != DynamicMatmul::digital) {
    arrays_ = std::make_unique<ArrayModel>(cfg_, cfg_.dynamic_matmul, act_bits_, act_bits_);
  }
  if (cfg_.dynamic_matmul == DynamicMatmul::write_xbar) {
    // Crossbars for K and V: every layer's cache at full length when there is one, else the
    // largest layer's K and V of one pass (reused by every layer).
    const trace::Op* attn = nullptr;
    for (const auto& op : first_phase_) {
      if (op.kind == trace::OpKind::attention) {
        attn = attn ? attn : &op;
      }
    }
    if (attn != nullptr) {
      uint64_t positions = std::max<uint64_t>(attn->attn.kv_len, h.prompt + h.generate);
      KvArrays g =
          arrays_->geometry(positions, attn->attn.head_dim, attn->attn.kv_heads, attn->attn.batch);
      uint64_t layers = h.kv_caches.empty() ? 1 : std::max<uint64_t>(1, h.layers);
      req.dynamic_pes = ceil_div(g.arrays_per_layer * layers, cfg_.pe.crossbars);
      req.dynamic_required = true;
    }
  }
  req.where = where_;
  mapping_ = map_weights(cfg_, req);
  const auto& links = cfg_.chip.links;
  if (mapping_.chips > 1 && links.count == 0) {
    throw InputError(where_("machine.chip.links.count"),
                     "expected at least 1 chip link: the system has " +
                         std::to_string(mapping_.chips) + " chips");
  }
  if (mapping_.chips > 2 && links.count == 1) {
    throw InputError(where_("machine.chip.links.count"),
                     "expected at least 2 links per chip to connect " +
                         std::to_string(mapping_.chips) + " chips, got 1");
  }
  strip_ids_.assign(mapping_.weights.size(), {});
  for (uint32_t w = 0; w < mapping_.weights.size(); ++w) {
    for (uint32_t r = 0; r < mapping_.weights[w].replicas.size(); ++r) {
      strip_ids_[w].push_back(strip_refs_.size());
      for (uint32_t s = 0; s < mapping_.weights[w].replicas[r].size(); ++s) {
        strip_refs_.push_back(StripRef{w, r, s});
      }
    }
  }
  pe_owner_.assign(mapping_.total_pes, -1);
  pe_programs_.assign(mapping_.total_pes, 0);
  gb_free_.assign(mapping_.chips, 0);
}

void Fabric::build_modules() {
  topo_ = std::make_unique<Topology>(cfg_, mapping_.chips);
  uint64_t cycle = static_cast<uint64_t>(std::llround(1000.0 / cfg_.clock_ghz));
  noc_ctx_ = NocContext{&cfg_, topo_.get(), &ids_, cycle};
  tile_ctx_ = TileContext{&cfg_, &ids_, cycle, act_bits_};
  std::string base = sc_core::sc_module::name();
  for (auto& ch : base) {
    if (ch == '.') {
      ch = '_';
    }
  }
  uint32_t routers = topo_->routers_per_chip() * topo_->chips();
  routers_.reserve(routers);
  for (uint32_t r = 0; r < routers; ++r) {
    std::string n = base + "_router" + std::to_string(r);
    routers_.push_back(std::make_unique<Router>(n.c_str(), noc_ctx_, r));
  }
  chip_net_ = std::make_unique<ChipNetwork>((base + "_chiplinks").c_str(), noc_ctx_);
  for (uint32_t r = 0; r < routers; ++r) {
    for (uint32_t port = 0; port < 4; ++port) {
      int32_t n = topo_->neighbour(r, port);
      if (n >= 0) {
        routers_[r]->bind_port(port, routers_[n]->in);
      }
    }
  }
  for (uint32_t c = 0; c < topo_->chips(); ++c) {
    routers_[topo_->gateway(c)]->bind_port(4, chip_net_->in);
    chip_net_->out.bind(routers_[topo_->gateway(c)]->in);
  }
  tiles_.reserve(topo_->tiles());
  for (uint32_t t = 0; t < topo_->tiles(); ++t) {
    std::string n = base + "_tile" + std::to_string(t);
    tiles_.push_back(std::make_unique<Tile>(n.c_str(), tile_ctx_));
    tiles_.back()->noc.bind(routers_[topo_->router_of(t)]->in);
    tile_socket_.bind(tiles_.back()->socket);
  }
}

void Fabric::place_kv(const trace::TraceHeader& h) {
  const uint64_t P = cfg_.tile.pes;
  // write_xbar pool tiles.
  if (mapping_.dynamic_pes > 0) {
    for (uint64_t t = mapping_.dynamic_first_vpe / P;
         t < (mapping_.dynamic_first_vpe + mapping_.dynamic_pes) / P; ++t) {
      pool_tiles_.push_back(static_cast<uint32_t>(t));
    }
    pool_cells_ =
        mapping_.dynamic_pes * cfg_.pe.crossbars * cfg_.crossbar.rows * cfg_.crossbar.cols;
  }
  // Tiles of each layer's weights (distinct, in placement order), for locality.
  for (uint32_t w = 0; w < mapping_.weights.size(); ++w) {
    auto& list = layer_tiles_[mapping_.weights[w].use.layer];
    for (const auto& rep : mapping_.weights[w].replicas) {
      for (const auto& s : rep) {
        uint32_t t = physical(s.first_vpe).first;
        if (std::find(list.begin(), list.end(), t) == list.end()) {
          list.push_back(t);
        }
      }
    }
  }
  if (h.kv_caches.empty()) {
    return;
  }
  auto& layer_tiles = layer_tiles_;
  std::vector<uint64_t> kv_free(
      tiles_.size(), static_cast<uint64_t>(static_cast<double>(cfg_.tile.buffer.capacity_bytes) *
                                           (1.0 - cfg_.activation_reserve_fraction)));
  std::vector<uint64_t> gb_left(mapping_.chips, cfg_.chip.global_buffer.capacity_bytes);
  // One store per layer, K and V together.
  std::unordered_map<int32_t, size_t> by_layer;
  for (const auto& d : h.kv_caches) {
    auto it = by_layer.find(d.layer);
    if (it == by_layer.end()) {
      it = by_layer.emplace(d.layer, stores_.size()).first;
      stores_.push_back(KvStore{});
      stores_.back().layer = d.layer;
      stores_.back().positions = h.prompt + h.generate;
    }
    KvStore& s = stores_[it->second];
    (s.k_id.empty() ? s.k_id : s.v_id) = d.id;
    s.bytes += d.bytes;
    store_index_[d.id] = it->second;
  }
  // Arrays for every layer at once?
  uint64_t need = 0, have = 0;
  const trace::Op* attn = nullptr;
  for (const auto& op : first_phase_) {
    if (op.kind == trace::OpKind::attention && attn == nullptr) {
      attn = &op;
    }
  }
  if (arrays_ && attn != nullptr) {
    KvArrays g = arrays_->geometry(h.prompt + h.generate, attn->attn.head_dim, attn->attn.kv_heads,
                                   attn->attn.batch);
    need = g.arrays_per_layer * stores_.size();
    have = cfg_.dynamic_matmul == DynamicMatmul::sram_cim
               ? uint64_t{cfg_.sram_cim.arrays_per_tile} * tiles_.size()
               : mapping_.dynamic_pes * cfg_.pe.crossbars;
  }
  bool arrays_resident = arrays_ && attn != nullptr && need <= have;
  uint64_t next_array = 0;
  for (auto& s : stores_) {
    const auto& near = layer_tiles[s.layer];
    if (arrays_resident) {
      s.level =
          cfg_.dynamic_matmul == DynamicMatmul::sram_cim ? KvLevel::sram_cim : KvLevel::crossbar;
      uint64_t per_layer = need / stores_.size();
      uint64_t per_tile = cfg_.dynamic_matmul == DynamicMatmul::sram_cim
                              ? cfg_.sram_cim.arrays_per_tile
                              : uint64_t{cfg_.pe.crossbars} * P;
      uint64_t first = next_array / per_tile, last = (next_array + per_layer - 1) / per_tile;
      for (uint64_t t = first; t <= last; ++t) {
        s.tiles.push_back(cfg_.dynamic_matmul == DynamicMatmul::sram_cim ? static_cast<uint32_t>(t)
                                                                         : pool_tiles_.at(t));
      }
      next_array += per_layer;
      if (s.level == KvLevel::crossbar) {
        s.writes_per_position.assign(s.positions, 0);
      }
      continue;
    }
    s.resident = !arrays_;
    // Candidate buffers: the layer's own tiles, then the other tiles of its chip, nearest
    // (by tile index) first.
    std::vector<uint32_t> cand = near;
    if (!near.empty()) {
      uint32_t chip = topo_->chip_of(near.front());
      std::vector<uint32_t> rest;
      for (uint32_t t = chip * cfg_.chip.tiles; t < (chip + 1) * cfg_.chip.tiles; ++t) {
        if (std::find(near.begin(), near.end(), t) == near.end()) {
          rest.push_back(t);
        }
      }
      uint32_t anchor = near.front();
      std::stable_sort(rest.begin(), rest.end(), [anchor](uint32_t a, uint32_t b) {
        return (a > anchor ? a - anchor : anchor - a) < (b > anchor ? b - anchor : anchor - b);
      });
      cand.insert(cand.end(), rest.begin(), rest.end());
    }
    uint64_t free = 0;
    for (uint32_t t : cand) {
      free += kv_free[t];
    }
    if (!cand.empty() && free >= s.bytes) {
      s.level = KvLevel::tile_buffer;
      uint64_t left = s.bytes;
      for (uint32_t t : cand) {
        if (left == 0) {
          break;
        }
        uint64_t take = std::min(left, kv_free[t]);
        if (take == 0) {
          continue;
        }
        kv_free[t] -= take;
        left -= take;
        s.tiles.push_back(t);
      }
      continue;
    }
    uint32_t chip = near.empty() ? 0 : topo_->chip_of(near.front());
    if (gb_left[chip] >= s.bytes) {
      gb_left[chip] -= s.bytes;
      s.level = KvLevel::global_buffer;
      s.tiles.push_back(gateway_tile(chip));
      continue;
    }
    s.level = KvLevel::offchip;
    s.tiles.push_back(gateway_tile(chip));
    s.hbm_address = next_address_;
    next_address_ += s.bytes;
  }
}

void Fabric::run() {
  program_all();
  t0_ps_ = static_cast<uint64_t>(sc_core::sc_time_stamp().value());
  phase_end_ps_ = t0_ps_;
  trace::Op op;
  for (;;) {
    if (!first_phase_.empty()) {
      op = std::move(first_phase_.front());
      first_phase_.pop_front();
    } else if (!trace_->next(op)) {
      break;
    }
    if (!have_phase_ || op.phase != phase_) {
      // A phase needs the previous phase's token: it starts when that phase has ended.
      phase_start_ps_ = phase_end_ps_;
      phase_ = op.phase;
      have_phase_ = true;
      live_.clear();
    }
    switch (op.kind) {
      case trace::OpKind::matmul:
        op_matmul(op);
        break;
      case trace::OpKind::embedding:
        op_embedding(op);
        break;
      case trace::OpKind::attention:
        op_attention(op);
        break;
      case trace::OpKind::batched_matmul:
        op_batched_matmul(op);
        break;
      case trace::OpKind::kv_write:
        op_kv_write(op);
        break;
      case trace::OpKind::kv_read:
        op_kv_read(op);
        break;
      default:
        op_vector(op);
        break;
    }
  }
  finish(phase_end_ps_ - t0_ps_);
}

void Fabric::finish_op(const trace::Op& op, uint64_t start_ps, uint64_t end_ps,
                       const std::string& bound) {
  report::OpCost cost;
  start_ps = std::max(start_ps, phase_start_ps_);
  end_ps = std::max(end_ps, start_ps);
  cost.start_ps = start_ps - t0_ps_;
  cost.end_ps = end_ps - t0_ps_;
  cost.bound = bound;
  stats::Counts mem;
  mem.reset(registry());
  mem_->add_counts(mem);
  cost.counts = cur_ + (mem - mem_seen_);
  mem_seen_ = mem;
  cost.counts.add(ff_counts_);
  cost.fast_forwarded = op_fast_forwarded_;
  ff_ops_ += op_fast_forwarded_ ? 1 : 0;
  ff_counts_.reset(registry());
  op_fast_forwarded_ = false;
  phase_end_ps_ = std::max(phase_end_ps_, end_ps);
  if (std::getenv("CIMSIM_DEBUG_OPS") != nullptr) {
    std::fprintf(stderr, "%-10s %-16s %12.3f %12.3f us\n", trace::phase_label(op.phase).c_str(),
                 op.name.c_str(), (start_ps - t0_ps_) * 1e-6, (end_ps - t0_ps_) * 1e-6);
  }
  record(op, cost);
  cur_.reset(registry());
}

void Fabric::program_all() {
  // Initial weight load: every strip that has PEs of its own (with a fabric too small, the
  // first fabric-full in trace order), read from off-chip memory and programmed row by row.
  const uint64_t region = mapping_.weight_region;
  uint64_t bytes = 0;
  std::vector<uint64_t> load;
  for (uint64_t g = 0; g < strip_refs_.size(); ++g) {
    const auto& ref = strip_refs_[g];
    const Strip& s = mapping_.weights[ref.weight].replicas[ref.replica][ref.strip];
    if (s.first_vpe + s.pes > region) {
      continue;
    }
    load.push_back(g);
    bytes += ceil_div(s.cells * cfg_.crossbar.bits_per_cell, 8);
  }
  uint64_t t_hbm = hbm(bytes, false, 0, 0);
  uint64_t end = t_hbm;
  for (uint64_t g : load) {
    const auto& ref = strip_refs_[g];
    const Strip& s = mapping_.weights[ref.weight].replicas[ref.replica][ref.strip];
    auto [tile, pe] = physical(s.first_vpe);
    uint64_t b = ceil_div(s.cells * cfg_.crossbar.bits_per_cell, 8);
    Window w = send(gateway_tile(topo_->chip_of(tile)), tile, b, Window::at(t_hbm));
    TileJob job;
    job.kind = TileJob::Kind::program;
    job.strip = &s;
    job.pe0 = pe;
    job.in = w;
    job.bytes = b;
    end = std::max(end, tile_job(tile, job).last);
    for (uint64_t p = s.first_vpe; p < s.first_vpe + s.pes; ++p) {
      pe_owner_[p] = static_cast<int64_t>(g);
      ++pe_programs_[p];
    }
    stats_.setup_cells += s.cells;
  }
  stats_.setup_bytes = bytes;
  uint64_t now = static_cast<uint64_t>(sc_core::sc_time_stamp().value());
  if (end > now) {
    sc_core::wait(sc_core::sc_time(static_cast<double>(end - now), sc_core::SC_PS));
  }
  stats_.setup_ps = end;
  report::OpCost cost;
  cost.start_ps = 0;
  cost.end_ps = end;
  cost.counts = cur_;
  stats::Counts mem;
  mem.reset(registry());
  mem_->add_counts(mem);
  cost.counts.add(mem);
  mem_seen_ = mem;
  cost.counts.add(ff_counts_);
  cost.fast_forwarded = op_fast_forwarded_;
  ff_counts_.reset(registry());
  op_fast_forwarded_ = false;
  record_setup("weight_programming", cost);
  cur_.reset(registry());
}

stats::Counts Fabric::unattributed() const {
  stats::Counts c;
  c.reset(registry());
  mem_->add_counts(c);
  return c -= mem_seen_;
}

}  // namespace cimsim::cim
