// Step-size calibration: a sweep over ε (and optionally nβ) that runs a short LLC
// estimate at each setting and reports λ̂, MALA acceptance and stability, then
// recommends the largest stable ε whose acceptance is near 0.9.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "slt/llc.hpp"

namespace lambdahat {

struct CalibrationPoint {
  double epsilon = 0, nbeta = 0;
  double llc_mean = 0, llc_std = 0;
  double mala_acceptance = 0;
  double below_init_fraction = 0;
  std::int64_t diverged_chains = 0;
  bool stable = false;  // no chain diverged and λ̂ > 0
  std::string note;     // why a setting is not stable
};

struct CalibrationResult {
  std::vector<CalibrationPoint> points;
  std::optional<std::size_t> recommended;  // index into points
  std::string recommendation;             // a sentence for the user
};

// Settings with acceptance at or above this count as "near 0.9".
inline constexpr double kTargetAcceptance = 0.85;

CalibrationResult calibrate_step_size(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& base,
                                      const std::vector<double>& epsilons, const std::vector<double>& nbetas = {});

}  // namespace lambdahat
