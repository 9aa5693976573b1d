// A sweep over the sampler's settings: a short LLC estimate at every ε (optionally
// also every γ and nβ) reporting λ̂, MALA acceptance, R̂, ESS and stability, and a
// recommendation: the largest stable ε whose acceptance reaches kTargetAcceptance and
// whose λ̂ agrees with the next smaller ε's (same γ and nβ) within two standard errors.
// `lambdahat calibrate` prints it as a table, JSON and a figure; the automatic
// calibration (calibration.hpp) is what estimate_llc runs by default.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "slt/llc.hpp"

namespace lambdahat {

struct SweepPoint {
  double epsilon = 0, localization = 0, nbeta = 0;
  double llc_mean = 0, llc_std = 0, mcse = 0;
  double mala_acceptance = 0;
  double rhat = 0, ess_bulk = 0;
  double below_init_fraction = 0;
  std::int64_t diverged_chains = 0;
  bool stable = false;  // no chain diverged and λ̂ > 0
  std::string note;     // why a setting is not stable
};

struct SweepResult {
  std::vector<SweepPoint> points;
  std::optional<std::size_t> recommended;  // index into points
  std::string recommendation;             // a sentence for the user
};

// The acceptance a recommended step size must reach.
inline constexpr double kTargetAcceptance = 0.9;

// `base` must set the draws and burn-in (a sweep runs the same length everywhere);
// empty `gammas` or `nbetas` keep the base's value.
SweepResult sweep_step_size(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& base,
                            const std::vector<double>& epsilons, const std::vector<double>& gammas = {},
                            const std::vector<double>& nbetas = {});

}  // namespace lambdahat
