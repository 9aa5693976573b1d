#include "slt/sweep.hpp"

#include <cmath>
#include <sstream>

namespace lambdahat {

SweepResult sweep_step_size(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& base,
                            const std::vector<double>& epsilons, const std::vector<double>& gammas,
                            const std::vector<double>& nbetas) {
  check(!epsilons.empty(), "sweep_step_size", "no step sizes to try");
  check(base.num_draws.has_value() && base.num_burnin_steps.has_value(), "sweep_step_size",
        "set num_draws and num_burnin_steps: every cell of a sweep runs the same length");
  SweepResult result;
  const std::vector<double> nb = nbetas.empty() ? std::vector<double>{base.nbeta} : nbetas;
  const std::vector<double> gs = gammas.empty() ? std::vector<double>{base.localization} : gammas;
  for (double beta : nb) {
    for (double gamma : gs) {
      for (double eps : epsilons) {
        SamplerConfig c = base;
        c.epsilon = eps;
        c.nbeta = beta;
        c.localization = gamma;
        if (c.mala_every == 0) c.mala_every = 1;
        const LLCResult r = estimate_llc(model, loss, data, c);
        SweepPoint p;
        p.epsilon = eps;
        p.localization = gamma;
        p.nbeta = r.nbeta;
        p.llc_mean = r.mean;
        p.llc_std = r.std;
        p.mcse = r.diagnostics.mcse;
        p.mala_acceptance = r.diagnostics.mala_acceptance;
        p.rhat = r.diagnostics.rhat;
        p.ess_bulk = r.diagnostics.ess_bulk;
        p.below_init_fraction = r.diagnostics.below_init_fraction;
        p.diverged_chains = r.diagnostics.diverged_chains;
        if (p.diverged_chains > 0) p.note = "diverged";
        else if (!(r.mean > 0)) p.note = "non-positive estimate";
        p.stable = p.note.empty();
        result.points.push_back(p);
      }
    }
  }
  // The largest stable ε with acceptance at the target whose λ̂ agrees, within two
  // standard errors of the difference, with that of the next smaller ε at the same γ
  // and nβ (when there is one); else the smallest stable ε.
  const auto next_smaller = [&](std::size_t i) -> std::optional<std::size_t> {
    std::optional<std::size_t> q;
    const auto& p = result.points[i];
    for (std::size_t j = 0; j < result.points.size(); ++j) {
      const auto& o = result.points[j];
      if (o.localization == p.localization && o.nbeta == p.nbeta && o.epsilon < p.epsilon &&
          (!q || o.epsilon > result.points[*q].epsilon))
        q = j;
    }
    return q;
  };
  std::optional<std::size_t> best, fallback;
  std::string agreement;
  for (std::size_t i = 0; i < result.points.size(); ++i) {
    const auto& p = result.points[i];
    if (!p.stable) continue;
    if (!fallback || p.epsilon < result.points[*fallback].epsilon) fallback = i;
    if (!(p.mala_acceptance >= kTargetAcceptance) || (best && p.epsilon <= result.points[*best].epsilon)) continue;
    const auto q = next_smaller(i);
    std::ostringstream why;
    if (q) {
      const auto& o = result.points[*q];
      const double se = std::sqrt(p.mcse * p.mcse + o.mcse * o.mcse);
      if (!o.stable || !(std::abs(p.llc_mean - o.llc_mean) <= 2 * se)) continue;
      why << ", and its λ̂ agrees with that at epsilon = " << o.epsilon << " (" << p.llc_mean << " against "
          << o.llc_mean << ", within two standard errors)";
    } else {
      why << " (no smaller step size at this gamma to compare λ̂ with)";
    }
    best = i;
    agreement = why.str();
  }
  std::ostringstream os;
  if (best) {
    const auto& p = result.points[*best];
    result.recommended = best;
    os << "use epsilon = " << p.epsilon << " (gamma " << p.localization << ", nbeta " << p.nbeta
       << "): the largest stable step size with MALA acceptance " << p.mala_acceptance << " >= " << kTargetAcceptance
       << agreement;
  } else if (fallback) {
    result.recommended = fallback;
    os << "no stable setting reached acceptance " << kTargetAcceptance << "; the smallest stable one is epsilon = "
       << result.points[*fallback].epsilon << " (acceptance " << result.points[*fallback].mala_acceptance
       << "): try smaller step sizes";
  } else {
    os << "no setting was stable: try much smaller step sizes or a larger localization";
  }
  result.recommendation = os.str();
  return result;
}

}  // namespace lambdahat
