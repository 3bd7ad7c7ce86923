#pragma once
// Seeded synthetic traces of other shapes than the real one, to check that policies are not tuned
// to one file: shared system prompts (Zipf popularity), optional shared documents (Zipf),
// multi-turn sessions whose next turn comes after an exponential think time and extends the whole
// conversation so far, and Poisson arrivals of new sessions.

#include <algorithm>
#include <cmath>
#include <functional>
#include <cstdint>
#include <queue>
#include <random>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/kvcache/block.hpp"

namespace gpusched::kvcache {

/// Shape of a synthetic trace.
struct synthetic_options {
  std::size_t requests = 5000;           ///< requests to generate
  std::size_t system_prompts = 8;        ///< distinct system prompts
  std::uint32_t system_blocks = 4;       ///< blocks per system prompt
  std::size_t documents = 500;           ///< shared documents (0: none)
  std::uint32_t document_blocks = 8;     ///< blocks per document
  double document_probability = 0.3;     ///< a session starts with a shared document
  double zipf = 1.0;                     ///< Zipf exponent of prompt and document popularity
  double continue_probability = 0.6;     ///< a session has another turn
  double turn_blocks = 3.0;              ///< mean new blocks per turn (geometric, >= 1)
  double session_rate = 2.0;             ///< new sessions per second (Poisson)
  double think_time = 60.0;              ///< mean seconds between turns (exponential)
  std::uint64_t seed = 1;
};

namespace detail {
/// Zipf(s) sampler over 0..n-1 by inverse CDF (n is small here).
class zipf_sampler {
 public:
  zipf_sampler(std::size_t n, double s) : cdf_(n) {
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) cdf_[i] = (sum += 1.0 / std::pow(static_cast<double>(i + 1), s));
    for (auto& c : cdf_) c /= sum;
  }
  template <class G>
  std::size_t operator()(G& g) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(g);
    return static_cast<std::size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin()) %
           cdf_.size();
  }

 private:
  std::vector<double> cdf_;
};
}  // namespace detail

/// Generates a trace; deterministic for the options (seed included).
[[nodiscard]] inline std::vector<request> synthetic_trace(const synthetic_options& o) {
  const char* where = "kvcache::synthetic_trace";
  require(o.system_prompts > 0 && o.system_blocks > 0, where, "need at least one system prompt block");
  require(o.session_rate > 0 && o.think_time > 0 && o.turn_blocks >= 1, where,
          "session_rate and think_time must be > 0, turn_blocks >= 1");
  require(o.continue_probability >= 0 && o.continue_probability < 1, where,
          "continue_probability must be in [0, 1)");
  require(o.document_probability >= 0 && o.document_probability <= 1, where,
          "document_probability must be in [0, 1]");
  std::mt19937_64 g(o.seed);
  const detail::zipf_sampler prompt(o.system_prompts, o.zipf);
  const detail::zipf_sampler doc(std::max<std::size_t>(1, o.documents), o.zipf);
  std::exponential_distribution<double> gap(o.session_rate), think(1.0 / o.think_time);
  std::geometric_distribution<int> extra(1.0 / o.turn_blocks);
  std::bernoulli_distribution more(o.continue_probability), with_doc(o.document_probability);
  std::uint64_t fresh = 0;  // distinct content counter for new blocks
  auto extend = [&](std::vector<block_id>& b, std::uint64_t content) {
    const std::uint32_t tok[2] = {static_cast<std::uint32_t>(content), static_cast<std::uint32_t>(content >> 32)};
    b.push_back(chain_hash(b.empty() ? 0 : b.back(), tok));
  };
  struct pending {
    double time;
    std::size_t session;
    bool operator>(const pending& p) const { return time > p.time; }
  };
  std::vector<std::vector<block_id>> sessions;
  std::priority_queue<pending, std::vector<pending>, std::greater<>> due;
  std::vector<request> out;
  double next_new = gap(g);
  while (out.size() < o.requests) {
    std::size_t s = 0;
    double t = 0;
    if (due.empty() || next_new <= due.top().time) {
      t = next_new;
      next_new += gap(g);
      s = sessions.size();
      sessions.emplace_back();
      auto& b = sessions.back();
      const std::size_t p = prompt(g);
      for (std::uint32_t i = 0; i < o.system_blocks; ++i) extend(b, (1ULL << 62) + p * 4096 + i);
      if (o.documents > 0 && with_doc(g)) {
        const std::size_t d = doc(g);
        for (std::uint32_t i = 0; i < o.document_blocks; ++i) extend(b, (1ULL << 61) + d * 4096 + i);
      }
    } else {
      t = due.top().time;
      s = due.top().session;
      due.pop();
    }
    auto& b = sessions[s];
    const int n = 1 + extra(g);
    for (int i = 0; i < n; ++i) extend(b, fresh++);
    request r;
    r.arrival = t;
    r.blocks = b;
    r.input_tokens = static_cast<std::uint64_t>(b.size()) * mooncake_block_tokens;
    r.output_tokens = 256;
    out.push_back(std::move(r));
    // The answer joins the conversation: the next turn extends it by one more block.
    if (more(g)) {
      extend(b, fresh++);
      due.push({t + think(g), s});
    } else {
      b.clear();
      b.shrink_to_fit();
    }
  }
  return out;
}

}  // namespace gpusched::kvcache
