// Requests of a serving run: read from a request trace or generated.
//
// A request trace is JSON Lines, one request per line:
//   {"arrival_s": 0.25, "prompt_tokens": 512, "output_tokens": 128}
// with an optional "id" (a non-negative integer, unique; default: the line's position among
// requests, from 0). Blank lines and lines starting with '#' are skipped. Requests may appear
// in any order; they are served by arrival time (ties by id). Errors are InputErrors naming
// the file and line: unknown keys, wrong types, a negative or non-finite time, zero tokens, a
// duplicate id, and a request whose prompt + output exceeds the model's context.
//
// The generator draws Poisson arrivals (exponential gaps at `rate_per_s`) and prompt/output
// lengths from the configured distributions with its own PRNG (splitmix64) and inverse-CDF
// transforms, so the same seed gives the same requests on every platform and library version
// (std::*_distribution is implementation-defined).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cimsim/config/describe.hpp"

namespace cimsim::serve {

struct Request {
  uint64_t id = 0;
  double arrival_s = 0;
  uint64_t prompt_tokens = 0;
  uint64_t output_tokens = 0;  // generated tokens, the one the prefill yields included
};

// Reads a request trace; `max_context` bounds prompt + output (0: no bound). Sorted by
// (arrival, id).
std::vector<Request> read_requests(const std::string& path, uint64_t max_context);

// Writes requests as a request trace (atomically).
void write_requests(const std::vector<Request>& requests, const std::string& path);

enum class Distribution : uint8_t { fixed, uniform, lognormal };

// A token-length distribution. fixed: `value`; uniform: integers in [min, max]; lognormal:
// exp(N(ln(median), sigma^2)) rounded to an integer and clipped to [min, max] (chat traces
// such as ShareGPT are close to log-normal in both lengths).
struct LengthDistribution {
  Distribution distribution = Distribution::fixed;
  uint64_t value = 128;
  uint64_t min = 1;
  uint64_t max = 4096;
  double median = 128;
  double sigma = 1.0;
};

struct GeneratorConfig {
  uint64_t count = 100;
  double rate_per_s = 1.0;  // Poisson arrival rate
  LengthDistribution prompt;
  LengthDistribution output;
  uint64_t seed = 1;
};

// The generated requests (ids 0..count-1 in arrival order). `max_context` (0: none) caps
// prompt + output: a draw beyond it is an InputError naming `where` and the distribution.
std::vector<Request> generate_requests(const GeneratorConfig& config, uint64_t max_context,
                                       const std::string& where);

// splitmix64 (Steele, Lea and Flood, OOPSLA 2014): a small, fast, well-mixed generator.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

}  // namespace cimsim::serve

namespace cimsim::config {
template <>
struct EnumNames<serve::Distribution> {
  static const std::vector<std::pair<serve::Distribution, const char*>>& names();
};
template <>
struct Describe<serve::LengthDistribution> {
  static constexpr const char* doc = "a token-length distribution";
  static void fields(Fields<serve::LengthDistribution>& f);
};
template <>
struct Describe<serve::GeneratorConfig> {
  static constexpr const char* doc = "Poisson arrivals with token-length distributions";
  static void fields(Fields<serve::GeneratorConfig>& f);
};
}  // namespace cimsim::config
