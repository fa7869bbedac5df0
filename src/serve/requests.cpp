#include "cimsim/serve/requests.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <set>
#include <sstream>

#include "cimsim/common/atomic_file.hpp"
#include "cimsim/common/error.hpp"
#include "cimsim/config/json_file.hpp"

namespace cimsim::config {

const std::vector<std::pair<serve::Distribution, const char*>>&
EnumNames<serve::Distribution>::names() {
  static const std::vector<std::pair<serve::Distribution, const char*>> n = {
      {serve::Distribution::fixed, "fixed"},
      {serve::Distribution::uniform, "uniform"},
      {serve::Distribution::lognormal, "lognormal"}};
  return n;
}

void Describe<serve::LengthDistribution>::fields(Fields<serve::LengthDistribution>& f) {
  using L = serve::LengthDistribution;
  f.optional("distribution", &L::distribution, "fixed, uniform or lognormal");
  f.optional("value", &L::value, "fixed: the length in tokens", at_least(1));
  f.optional("min", &L::min, "uniform and lognormal: the shortest length", at_least(1));
  f.optional("max", &L::max, "uniform and lognormal: the longest length", at_least(1));
  f.optional("median", &L::median, "lognormal: the median length in tokens", positive());
  f.optional("sigma", &L::sigma, "lognormal: standard deviation of ln(length)", at_least(0));
  f.check([](const L& l, const Check& c) {
    if (l.min > l.max) {
      c.fail("min", "expected at most max = " + std::to_string(l.max) + ", got " +
                        std::to_string(l.min));
    }
  });
}

void Describe<serve::GeneratorConfig>::fields(Fields<serve::GeneratorConfig>& f) {
  using G = serve::GeneratorConfig;
  f.optional("count", &G::count, "requests to generate", in_range(1, 1e7));
  f.optional("rate_per_s", &G::rate_per_s, "Poisson arrival rate, requests per second",
             positive());
  f.optional("prompt", &G::prompt, "prompt lengths");
  f.optional("output", &G::output, "output lengths (generated tokens)");
  f.optional("seed", &G::seed, "PRNG seed (same seed, same requests)");
}

}  // namespace cimsim::config

namespace cimsim::serve {
namespace {

// A whole number of tokens >= 1 from a JSON value, or an error naming line and key.
uint64_t tokens_at(const Json& line, const char* key, const std::string& where) {
  auto it = line.find(key);
  if (it == line.end()) throw InputError(where, std::string(key) + ": missing required key");
  if (!it->is_number_unsigned() || it->get<uint64_t>() == 0) {
    throw InputError(where, std::string(key) + ": expected an integer >= 1, got " +
                                config::describe_json_value(*it));
  }
  return it->get<uint64_t>();
}

void check_context(const Request& r, uint64_t max_context, const std::string& where) {
  if (max_context == 0) return;
  uint64_t total = r.prompt_tokens + r.output_tokens;
  if (r.prompt_tokens > max_context || total > max_context) {
    throw InputError(where, "prompt_tokens + output_tokens = " + std::to_string(total) +
                                ", expected at most the model's context of " +
                                std::to_string(max_context) + " tokens");
  }
}

void sort_by_arrival(std::vector<Request>& requests) {
  std::stable_sort(requests.begin(), requests.end(), [](const Request& a, const Request& b) {
    return a.arrival_s != b.arrival_s ? a.arrival_s < b.arrival_s : a.id < b.id;
  });
}

uint64_t draw_length(const LengthDistribution& d, SplitMix64& rng) {
  switch (d.distribution) {
    case Distribution::fixed:
      return d.value;
    case Distribution::uniform:
      return d.min + static_cast<uint64_t>(rng.uniform() * static_cast<double>(d.max - d.min + 1));
    case Distribution::lognormal: {
      // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
      double u1 = 1.0 - rng.uniform();
      double u2 = rng.uniform();
      double normal = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
      double x = std::round(d.median * std::exp(d.sigma * normal));
      return static_cast<uint64_t>(
          std::clamp(x, static_cast<double>(d.min), static_cast<double>(d.max)));
    }
  }
  return d.value;
}

}  // namespace

std::vector<Request> read_requests(const std::string& path, uint64_t max_context) {
  std::ifstream in(path);
  if (!in) throw InputError(path, "cannot read the request trace");
  std::vector<Request> out;
  std::set<uint64_t> ids;
  std::string text;
  size_t line_no = 0;
  while (std::getline(in, text)) {
    ++line_no;
    if (text.find_first_not_of(" \t\r") == std::string::npos || text[0] == '#') continue;
    const std::string where = path + ":" + std::to_string(line_no);
    Json line = config::parse_json_strict(text, path, line_no);
    if (!line.is_object()) {
      throw InputError(where, "expected an object {\"arrival_s\", \"prompt_tokens\", "
                              "\"output_tokens\"}, got " +
                                  config::describe_json_value(line));
    }
    for (auto it = line.begin(); it != line.end(); ++it) {
      const std::string& k = it.key();
      if (k != "id" && k != "arrival_s" && k != "prompt_tokens" && k != "output_tokens") {
        throw InputError(where, k + ": unknown key (expected one of: id, arrival_s, "
                                    "prompt_tokens, output_tokens)");
      }
    }
    Request r;
    r.id = out.size();
    if (auto id = line.find("id"); id != line.end()) {
      if (!id->is_number_unsigned()) {
        throw InputError(where, "id: expected an integer >= 0, got " +
                                    config::describe_json_value(*id));
      }
      r.id = id->get<uint64_t>();
    }
    if (!ids.insert(r.id).second) {
      throw InputError(where, "id: " + std::to_string(r.id) + " is used by an earlier request");
    }
    auto arrival = line.find("arrival_s");
    if (arrival == line.end()) throw InputError(where, "arrival_s: missing required key");
    if (!arrival->is_number() || !std::isfinite(arrival->get<double>()) ||
        arrival->get<double>() < 0) {
      throw InputError(where, "arrival_s: expected a number of seconds >= 0, got " +
                                  config::describe_json_value(*arrival));
    }
    r.arrival_s = arrival->get<double>();
    r.prompt_tokens = tokens_at(line, "prompt_tokens", where);
    r.output_tokens = tokens_at(line, "output_tokens", where);
    check_context(r, max_context, where);
    out.push_back(r);
  }
  if (out.empty()) throw InputError(path, "the request trace holds no requests");
  sort_by_arrival(out);
  return out;
}

void write_requests(const std::vector<Request>& requests, const std::string& path) {
  write_file_atomic(path, [&](std::ostream& out) {
    for (const auto& r : requests) {
      Json j{{"id", r.id},
             {"arrival_s", r.arrival_s},
             {"prompt_tokens", r.prompt_tokens},
             {"output_tokens", r.output_tokens}};
      out << j.dump() << "\n";
    }
  });
}

std::vector<Request> generate_requests(const GeneratorConfig& config, uint64_t max_context,
                                       const std::string& where) {
  SplitMix64 rng(config.seed);
  std::vector<Request> out;
  out.reserve(config.count);
  double t = 0;
  for (uint64_t i = 0; i < config.count; ++i) {
    Request r;
    r.id = i;
    // Exponential gap by inversion; the first request arrives after one gap too.
    t += -std::log(1.0 - rng.uniform()) / config.rate_per_s;
    r.arrival_s = t;
    r.prompt_tokens = draw_length(config.prompt, rng);
    r.output_tokens = draw_length(config.output, rng);
    check_context(r, max_context,
                  where + " (generated request " + std::to_string(i) +
                      ": lower prompt/output max or median)");
    out.push_back(r);
  }
  return out;
}

}  // namespace cimsim::serve
