#pragma once
// Roofline operator costs: an operator takes max(compute time, memory time), each at a global
// efficiency fraction of the GPU's peak, and reports which bound it hit. The efficiency factors are
// few and global (see efficiency below and docs/cost.md); they are never fitted per case.

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <string_view>

#include "gpusched/core/error.hpp"
#include "gpusched/core/formats.hpp"
#include "gpusched/core/units.hpp"
#include "gpusched/hardware/gpus.hpp"

namespace gpusched::cost {

/// What limits an operator or a share of a step.
enum class resource { compute, memory, network, overhead };

/// Name of a resource ("compute", "memory", "network", "overhead").
constexpr std::string_view to_string(resource r) {
  switch (r) {
    case resource::compute: return "compute";
    case resource::memory: return "memory";
    case resource::network: return "network";
    case resource::overhead: return "overhead";
  }
  return "?";
}

/// The global efficiency factors of the model: achieved fraction of each peak, and fixed costs.
/// Defaults: one global fit (coordinate descent on fixed grids, tests/cost/validation_test.cpp) to
/// the published measurements listed in docs/cost.md; never fitted per case.
struct efficiency {
  double compute = 0.30;   ///< fraction of dense peak FLOPS reached by GEMM and attention kernels
  double memory = 0.25;    ///< fraction of HBM bandwidth reached end to end (small decode GEMMs dominate)
  double network = 0.90;   ///< fraction of link bandwidth reached by collectives
  double overlap = 0.75;   ///< with overlap on: fraction of min(compute, communication) hidden
  seconds kernel_latency = units::microseconds(1);  ///< fixed cost of one kernel: launch gap, ramp-up and tail
  seconds step_overhead = units::microseconds(250);  ///< per step, once: scheduling, sampling, host sync
  seconds collective_latency = units::microseconds(5);  ///< software cost of one collective step (not fitted)
};

/// Throws unless every factor is finite, the fractions in (0, 1] and the fixed costs >= 0.
inline void validate(const efficiency& e) {
  const char* where = "cost::efficiency";
  require(std::isfinite(e.overlap) && e.overlap >= 0.0 && e.overlap <= 1.0, where, "overlap must be in [0, 1]");
  for (auto [v, name] : {std::pair{e.compute, "compute"}, {e.memory, "memory"}, {e.network, "network"}})
    if (!(std::isfinite(v) && v > 0.0 && v <= 1.0))  // message built only on failure
      throw error(where, std::string(name) + " must be in (0, 1], got " + std::to_string(v));
  require(std::isfinite(e.kernel_latency) && e.kernel_latency >= 0.0, where, "kernel_latency must be >= 0");
  require(std::isfinite(e.step_overhead) && e.step_overhead >= 0.0, where, "step_overhead must be >= 0");
  require(std::isfinite(e.collective_latency) && e.collective_latency >= 0.0, where,
          "collective_latency must be >= 0");
}

/// The cost of one operator on one GPU.
struct op_cost {
  double flops = 0.0;         ///< floating-point operations
  double bytes = 0.0;         ///< HBM bytes read and written
  seconds compute_time = 0.0; ///< flops / (peak x efficiency)
  seconds memory_time = 0.0;  ///< bytes / (bandwidth x efficiency)
  [[nodiscard]] seconds time() const noexcept { return std::max(compute_time, memory_time); }
  [[nodiscard]] resource bound() const noexcept {
    return compute_time >= memory_time ? resource::compute : resource::memory;
  }
};

/// Bytes of one element of `f`, scales included.
constexpr double bytes_of(number_format f) { return bits_per_element(f) / 8.0; }

/// The format a tensor-core operation on inputs `a` and `b` computes in: the wider of the two
/// (FP4 weights with FP8 activations run at the FP8 rate).
constexpr number_format compute_format(number_format a, number_format b) {
  return bits_per_element(a) >= bits_per_element(b) ? a : b;
}

/// Dense peak of `gpu` in format `f`; an unpublished figure is an error naming both.
inline flops_per_second peak_of(const hardware::gpu_spec& gpu, number_format f) {
  const auto p = gpu.peak_flops(f);
  if (!p)
    throw error("cost::peak_of", std::string(gpu.name) + " has no published dense peak for " +
                                     std::string(to_string(f)));
  return *p;
}

/// An operator with `flops` computed in format `f` and `bytes` moved through HBM.
inline op_cost roofline(double flops, double bytes, number_format f, const hardware::gpu_spec& gpu,
                        const efficiency& e) {
  require(std::isfinite(flops) && flops >= 0.0 && std::isfinite(bytes) && bytes >= 0.0, "cost::roofline",
          "flops and bytes must be finite and non-negative");
  op_cost c;
  c.flops = flops;
  c.bytes = bytes;
  c.compute_time = flops == 0.0 ? 0.0 : flops / (peak_of(gpu, f) * e.compute);
  c.memory_time = bytes / (gpu.hbm_bandwidth * e.memory);
  return c;
}

/// Dense GEMM: activations [m x k] times weights [k x n], output [m x n] in BF16.
inline op_cost gemm(double m, double n, double k, number_format weights, number_format activations,
                    const hardware::gpu_spec& gpu, const efficiency& e) {
  require(m >= 0 && n >= 0 && k >= 0, "cost::gemm", "dimensions must be non-negative");
  const double bytes = n * k * bytes_of(weights) + m * k * bytes_of(activations) + m * n * 2.0;
  return roofline(2.0 * m * n * k, bytes, compute_format(weights, activations), gpu, e);
}

/// Grouped GEMM of a MoE layer: expert i multiplies tokens[i] rows by its own [k x n] weights.
/// Only experts that receive tokens are read (fractional counts are expected values: an expert
/// with an expected c tokens is read with probability 1 - exp(-c), the Poisson estimate).
inline op_cost grouped_gemm(std::span<const double> tokens, double n, double k, number_format weights,
                            number_format activations, const hardware::gpu_spec& gpu, const efficiency& e) {
  double rows = 0.0, touched = 0.0;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    require(std::isfinite(tokens[i]) && tokens[i] >= 0.0, "cost::grouped_gemm",
            "token count of expert " + std::to_string(i) + " must be finite and non-negative");
    rows += tokens[i];
    touched += tokens[i] >= 1.0 ? 1.0 : 1.0 - std::exp(-tokens[i]);
  }
  const double bytes = touched * n * k * bytes_of(weights) + rows * k * bytes_of(activations) + rows * n * 2.0;
  return roofline(2.0 * rows * n * k, bytes, compute_format(weights, activations), gpu, e);
}

/// Grouped GEMM with `experts` experts sharing `rows` token rows evenly.
inline op_cost grouped_gemm_uniform(double experts, double rows, double n, double k, number_format weights,
                                    number_format activations, const hardware::gpu_spec& gpu,
                                    const efficiency& e) {
  require(experts >= 0 && rows >= 0, "cost::grouped_gemm_uniform", "counts must be non-negative");
  const double per = experts > 0 ? rows / experts : 0.0;
  const double touched = experts * (per >= 1.0 ? 1.0 : 1.0 - std::exp(-per));
  const double bytes = touched * n * k * bytes_of(weights) + rows * k * bytes_of(activations) + rows * n * 2.0;
  return roofline(2.0 * rows * n * k, bytes, compute_format(weights, activations), gpu, e);
}

/// An element-wise pass over `elements` values of `bytes_per_element` read and written once each.
inline op_cost elementwise(double elements, double bytes_per_element, const hardware::gpu_spec& gpu,
                           const efficiency& e) {
  return roofline(0.0, 2.0 * elements * bytes_per_element, number_format::bf16, gpu, e);
}

}  // namespace gpusched::cost
