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
  double memory = 0.50;    ///< fraction of HBM bandwidth reached end to end
  double network = 0.60;   ///< fraction of link bandwidth reached by collectives
  double overlap = 0.75;   ///< with overlap on: fraction of min(compute, communication) hidden
  seconds kernel_latency = units::microseconds(2);  ///< fixed cost of one kernel: launch gap under CUDA graphs
  seconds step_overhead = 0.0;  ///< per step, once: scheduling, sampling, host sync
  /// Extra fixed cost of one GEMM kernel, its wave ramp-up and tail (not fitted): a lone 58.7 MB
  /// weight-bound GEMM on an H200 took 19.1 us against 13.0 us for its bytes at the batched
  /// streaming rate (docs/measurements/h200.md).
  seconds gemm_ramp = units::microseconds(6);
  /// Rows per M tile of the grouped expert GEMM (not fitted): each expert's rows are padded to whole
  /// tiles, as DeepGEMM's m-grouped contiguous layout aligns every expert's segment to the GEMM's
  /// M block (deep_gemm get_mk_alignment_for_contiguous_layout, 128).
  double expert_tile = 128;
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
  require(std::isfinite(e.gemm_ramp) && e.gemm_ramp >= 0.0, where, "gemm_ramp must be >= 0");
  require(std::isfinite(e.expert_tile) && e.expert_tile >= 1.0, where, "expert_tile must be >= 1");
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

/// Expected rows an expert's GEMM computes when its token count is Poisson with mean `mean` and the
/// kernel pads each expert's rows to whole tiles of `tile` rows: tile x E[ceil(X / tile)].
inline double padded_rows(double mean, double tile) {
  if (tile <= 1.0 || mean <= 0.0) return mean;
  if (mean > 64.0 * tile) return mean + 0.5 * tile;  // many tiles: the last one is half empty on average
  const double sd = std::sqrt(mean);
  double sum = 0.0;
  if (mean < 32.0) {
    // Exact Poisson sum over x = 1 ... mean + 12 deviations, p(x + 1) = p(x) mean / (x + 1).
    const int hi = static_cast<int>(mean + 12.0 * sd + 20.0);
    double p = std::exp(-mean) * mean;
    for (int x = 1; x <= hi; ++x) {
      sum += std::ceil(x / tile) * p;
      p *= mean / (x + 1);
    }
  } else {
    // E[ceil(X / tile)] = sum over j >= 0 of P(X > j tile), with the normal approximation of the
    // Poisson tail (continuity-corrected): a few erfc calls instead of a sum over every count.
    const auto first = static_cast<long>(std::max(0.0, std::floor((mean - 10.0 * sd) / tile)));
    sum = static_cast<double>(first);  // tiles below mean - 10 deviations are always filled
    for (long j = first; j * tile <= mean + 10.0 * sd; ++j)
      sum += 0.5 * std::erfc((j * tile + 0.5 - mean) / (sd * std::sqrt(2.0)));
  }
  return tile * sum;
}

/// Grouped GEMM of a MoE layer: expert i multiplies tokens[i] rows by its own [k x n] weights; its
/// compute covers the rows padded to whole tiles of efficiency.expert_tile rows.
/// Only experts that receive tokens are read (fractional counts are expected values: an expert
/// with an expected c tokens is read with probability 1 - exp(-c), the Poisson estimate).
inline op_cost grouped_gemm(std::span<const double> tokens, double n, double k, number_format weights,
                            number_format activations, const hardware::gpu_spec& gpu, const efficiency& e) {
  double rows = 0.0, touched = 0.0, padded = 0.0;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    require(std::isfinite(tokens[i]) && tokens[i] >= 0.0, "cost::grouped_gemm",
            "token count of expert " + std::to_string(i) + " must be finite and non-negative");
    rows += tokens[i];
    touched += tokens[i] >= 1.0 ? 1.0 : 1.0 - std::exp(-tokens[i]);
    // Whole counts are padded to whole tiles; fractional (expected) counts as Poisson means.
    padded += tokens[i] == std::floor(tokens[i]) ? std::ceil(tokens[i] / std::max(1.0, e.expert_tile)) *
                                                        std::max(1.0, e.expert_tile)
                                                  : padded_rows(tokens[i], e.expert_tile);
  }
  const double bytes = touched * n * k * bytes_of(weights) + rows * k * bytes_of(activations) + rows * n * 2.0;
  return roofline(2.0 * std::max(rows, padded) * n * k, bytes, compute_format(weights, activations), gpu, e);
}

/// Grouped GEMM with `experts` experts sharing `rows` token rows evenly (Poisson counts per expert):
/// weights are read for experts that receive a token, and the compute covers each expert's rows
/// padded to whole tiles of efficiency.expert_tile rows.
inline op_cost grouped_gemm_uniform(double experts, double rows, double n, double k, number_format weights,
                                    number_format activations, const hardware::gpu_spec& gpu,
                                    const efficiency& e) {
  require(experts >= 0 && rows >= 0, "cost::grouped_gemm_uniform", "counts must be non-negative");
  const double per = experts > 0 ? rows / experts : 0.0;
  const double touched = experts * (per >= 1.0 ? 1.0 : 1.0 - std::exp(-per));
  const double bytes = touched * n * k * bytes_of(weights) + rows * k * bytes_of(activations) + rows * n * 2.0;
  const double padded = experts * padded_rows(per, e.expert_tile);
  return roofline(2.0 * std::max(rows, padded) * n * k, bytes, compute_format(weights, activations), gpu, e);
}

/// An element-wise pass over `elements` values of `bytes_per_element` read and written once each.
inline op_cost elementwise(double elements, double bytes_per_element, const hardware::gpu_spec& gpu,
                           const efficiency& e) {
  return roofline(0.0, 2.0 * elements * bytes_per_element, number_format::bf16, gpu, e);
}

}  // namespace gpusched::cost
