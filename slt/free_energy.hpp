// Free energies (docs/theory.md, "The free energy").
//
//   asymptotics (Watanabe):  F_n = n L_n(w0) + λ log n − (m − 1) log log n + O_p(1)
//   local free energy:       F̂ = n L_n(w*) + λ̂ log n
//   WBIC (Watanabe 2013):    E_{β*}[n L_n(w)] at β* = 1/log n
//   thermodynamic integration, exact for any n, with the localizing prior
//   φ = N(w*, γ⁻¹ I) and Z(β) = ∫ exp(−nβ L_n(w)) φ(w) dw:
//       F(β) = −log Z(β),  dF/dβ = E_β[n L_n(w)],  F(0) = 0,  F(1) = ∫₀¹ E_β[n L_n] dβ
#pragma once

#include <vector>

#include "slt/llc.hpp"

namespace lambdahat {

// n L_n(w*) + λ̂ log n
double local_free_energy(std::int64_t n, double loss_at_w, double llc);

// ΔF = n (L_n(w_b) − L_n(w_a)) + log n (λ̂_b − λ̂_a), from checkpoint a to checkpoint b.
double free_energy_difference(std::int64_t n, double loss_a, double llc_a, double loss_b, double llc_b);

struct WBICResult {
  double wbic = 0;            // mean over draws of n L_n(w)
  double standard_error = 0;  // from the spread across chains
  double nbeta = 0;           // n / log n
  std::vector<double> per_chain;
};

// Samples at nβ = n / log n (overriding config.nbeta) with full-data draw losses.
WBICResult wbic(Module& model, const LossFn& loss, const Dataset& data, SamplerConfig config);

struct ThermodynamicIntegration {
  double free_energy = 0;       // F(1) by the trapezoid rule over the ladder
  double sampling_error = 0;    // standard error from the chains at each β
  double quadrature_error = 0;  // |F(ladder) − F(every other rung)| / 3
  std::vector<double> betas;
  std::vector<double> expectations;  // E_β[n L_n]
  std::vector<double> standard_errors;
};

// A ladder 0 = β_0 < … < β_K = 1 dense near 0, where E_β changes fastest: β_j = (j/K)^power.
std::vector<double> beta_ladder(int rungs, double power = 3);

struct LadderOptions {
  // The nβ that config.epsilon was chosen for, 0 for one ε at every rung. When set,
  // the rung at β samples with ε · min(1, epsilon_nbeta / (β n)): the step's
  // stability is set by ε times the curvature of nβ L_n, so ε·nβ never exceeds the
  // value the step size was calibrated at (an LLC calibration at nβ = n / log n
  // gives a step that is log n times too long at β = 1).
  double epsilon_nbeta = 0;
};

// F(1) over the given ladder (which must start at 0 and end at 1). At β = 0 the
// draws come from the prior φ itself; at β > 0 from the sampler with nβ = β·n,
// localization config.localization (> 0) and full-data draw losses.
ThermodynamicIntegration thermodynamic_integration(Module& model, const LossFn& loss, const Dataset& data,
                                                   const SamplerConfig& config, const std::vector<double>& betas,
                                                   const LadderOptions& options = {});

}  // namespace lambdahat
