#pragma once
// Internals of the step model: the accumulator of one layer kind's costs (fixed capacity, no
// allocation) and the breakdown writer.

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

#include "gpusched/cost/collectives.hpp"
#include "gpusched/cost/roofline.hpp"

namespace gpusched::cost {

/// One line of a step's breakdown.
struct breakdown_entry {
  std::string_view name;  ///< operator ("attention.core", "moe.dispatch", ...)
  resource bound = resource::compute;
  seconds time = 0.0;     ///< summed over the step (all layers, all stages on the critical path)
};

namespace detail {

// Accumulates one layer kind's costs, then scales by its layer count. Each kernel costs its
// roofline time plus efficiency.kernel_latency (launch gap, ramp-up, tail): the alpha of a kernel.
class layer_sum {
 public:
  static constexpr std::size_t capacity = 16;
  // `gemms` of the kernels are GEMMs and also pay efficiency.gemm_ramp (wave ramp-up and tail).
  void op(std::string_view name, const op_cost& c, int kernels, const efficiency& e, int gemms = 0) {
    add(name, c.bound(), c.time() + kernels * e.kernel_latency + gemms * e.gemm_ramp, false);
  }
  void comm(std::string_view name, const comm_cost& c) { add(name, resource::network, c.time(), true); }
  [[nodiscard]] seconds time(double hidden) const { return compute_ + comm_ - hidden * std::min(compute_, comm_); }
  template <class Result>
  void flush(double count, double hidden, Result& r) const {
    if (count == 0.0) return;
    // Overlapped communication is charged only for the part that is not hidden behind compute.
    const double comm_scale = comm_ > 0 ? (comm_ - hidden * std::min(compute_, comm_)) / comm_ : 1.0;
    for (std::size_t i = 0; i < n_; ++i) {
      const auto& e = entries_[i];
      add_entry(r, e.name, e.bound, e.time * count * (e.is_comm ? comm_scale : 1.0));
    }
  }
  template <class Result>
  static void add_entry(Result& r, std::string_view name, resource b, seconds t) {
    r.by_resource[static_cast<std::size_t>(b)] += t;
    for (auto& e : r.by_operator)
      if (e.name == name) {
        e.time += t;
        return;
      }
    r.by_operator.push_back({name, b, t});
  }

 private:
  struct entry {
    std::string_view name;
    resource bound;
    seconds time;
    bool is_comm;
  };
  void add(std::string_view name, resource b, seconds t, bool is_comm) {
    (is_comm ? comm_ : compute_) += t;
    if (n_ < capacity) entries_[n_++] = {name, b, t, is_comm};
  }
  std::array<entry, capacity> entries_{};
  std::size_t n_ = 0;
  seconds compute_ = 0, comm_ = 0;
};

}  // namespace detail
}  // namespace gpusched::cost
