#include "slt/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <sstream>

#include "slt/diagnostics.hpp"
#include "slt/llc.hpp"  // kMalaAcceptanceWarning

namespace lambdahat {

namespace {

std::string fmt(double v, int precision = 3) {
  std::ostringstream os;
  os.precision(precision);
  os << v;
  return os.str();
}

double mean_of(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += v;
  return s / static_cast<double>(x.size());
}

// Pilot chains that move from one trial step size to the next without restarting,
// so that later trials see the region the chains drift into; a divergence restarts
// them from w*.
class Pilot {
 public:
  Pilot(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& config)
      : model_(model), loss_(loss), data_(data), config_(config) {
    config_.num_chains = std::min<std::int64_t>(config.num_chains, 2);
    config_.num_burnin_steps = 0;
    config_.num_steps_bw_draws = 1;
    config_.mala_every = 1;
    config_.full_data_draw_loss = false;
    if (config_.kind != SamplerKind::mala) config_.kind = SamplerKind::sgld;
  }

  // P steps at ε; the mean acceptance over the second half, and the chains that diverged.
  CalibrationTrial measure(double epsilon, std::int64_t steps) {
    CalibrationTrial t;
    t.epsilon = epsilon;
    t.test = "acceptance";
    if (!set_) {
      set_ = std::make_unique<ChainSet>(model_, loss_, data_, config_);
      length_ = 0;
    }
    set_->config().epsilon = epsilon;
    const auto sums = [&] {
      std::vector<std::pair<double, std::int64_t>> s;
      for (const auto& tr : set_->traces())
        s.emplace_back(tr.mala_acceptance * static_cast<double>(tr.mala_checks), tr.mala_checks);
      return s;
    };
    advance(steps - steps / 2);
    const auto before = sums();
    advance(steps / 2);
    const auto after = sums();
    double total = 0;
    for (std::size_t c = 0; c < after.size(); ++c) {
      const ChainTrace& tr = set_->traces()[c];
      if (tr.diverged) {
        ++t.diverged;
        continue;  // counts as acceptance 0
      }
      const std::int64_t checks = after[c].second - before[c].second;
      total += checks ? (after[c].first - before[c].first) / static_cast<double>(checks) : 0;
    }
    t.acceptance = total / static_cast<double>(after.size());
    if (t.diverged) set_.reset();
    return t;
  }

 private:
  void advance(std::int64_t steps) {
    length_ += steps;
    set_->config().num_draws = length_;
    set_->run();
  }

  Module& model_;
  const LossFn& loss_;
  const Dataset& data_;
  SamplerConfig config_;
  std::unique_ptr<ChainSet> set_;
  std::int64_t length_ = 0;
};

std::string trials_text(const std::vector<CalibrationTrial>& trials) {
  std::ostringstream os;
  for (const auto& t : trials) {
    if (t.test != "acceptance") continue;
    os << (os.tellp() > 0 ? ", " : "") << "epsilon " << fmt(t.epsilon) << ": acceptance " << fmt(t.acceptance, 2);
    if (t.diverged) os << " (" << t.diverged << " diverged)";
  }
  return os.str();
}

std::vector<std::vector<double>> healthy_losses(const std::vector<ChainTrace>& traces) {
  std::vector<std::vector<double>> out;
  for (const auto& t : traces)
    if (!t.diverged) out.push_back(t.losses);
  return out;
}

// The mean of the chains at each draw (over the shortest length).
std::vector<double> chain_average(const std::vector<std::vector<double>>& chains) {
  std::size_t n = std::numeric_limits<std::size_t>::max();
  for (const auto& c : chains) n = std::min(n, c.size());
  std::vector<double> avg(chains.empty() ? 0 : n, 0.0);
  for (const auto& c : chains)
    for (std::size_t i = 0; i < avg.size(); ++i) avg[i] += c[i] / static_cast<double>(chains.size());
  return avg;
}

}  // namespace

std::string Calibration::summary() const {
  std::ostringstream os;
  if (failed) return "calibration failed: " + epsilon_reason;
  std::vector<std::string> parts;
  if (epsilon_chosen) parts.push_back(epsilon_reason);
  if (burnin_chosen) parts.push_back(burnin_reason);
  if (draws_chosen) parts.push_back(draws_reason);
  if (parts.empty()) return "no calibration: every setting was given";
  for (std::size_t i = 0; i < parts.size(); ++i) os << (i ? "; " : "") << parts[i];
  return os.str();
}

double minibatch_loss_spread(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& config) {
  if (config.batch_size == 0 || config.batch_size >= data.size() || config.full_data_draw_loss) return 0;
  NoGradGuard no_grad;
  DataLoader loader(data, LoaderOptions{.batch_size = config.batch_size, .shuffle = true, .drop_last = true,
                                        .seed = Generator(config.seed, 7).next_u64()});
  std::vector<double> losses;
  for (int i = 0; i < 32; ++i) losses.push_back(loss(model, loader.next()).item());
  const double m = mean_of(losses);
  double s = 0;
  for (double v : losses) s += (v - m) * (v - m);
  return std::sqrt(s / static_cast<double>(losses.size() - 1));
}

std::int64_t stationarity_cut(const std::vector<double>& trace, std::int64_t batch) {
  check(batch >= 1, "stationarity_cut", "batch must be >= 1, got ", batch);
  const std::size_t b = static_cast<std::size_t>(batch), k = trace.size() / b;
  if (k < 4) return 0;
  std::vector<double> means(k);
  for (std::size_t j = 0; j < k; ++j) {
    double s = 0;
    for (std::size_t i = 0; i < b; ++i) s += trace[j * b + i];
    means[j] = s / static_cast<double>(b);
  }
  // MSER(d) = Σ_{j ≥ d} (x_j − x̄_d)² / (k − d)², from suffix sums of x and x²
  double sum = 0, sum_sq = 0, best = std::numeric_limits<double>::infinity();
  std::size_t best_d = 0;
  for (std::size_t d = k; d-- > 0;) {
    sum += means[d];
    sum_sq += means[d] * means[d];
    const double m = static_cast<double>(k - d);
    const double mser = (sum_sq - sum * sum / m) / (m * m);
    if (d <= k / 2 && mser <= best) {
      best = mser;
      best_d = d;
    }
  }
  return static_cast<std::int64_t>(best_d * b);
}

double calibrate_epsilon(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& config,
                         const CalibrationTargets& targets, Calibration& cal) {
  check(config.kind != SamplerKind::sgnht, "calibrate_epsilon",
        "SGNHT's step is derived from SGLD's (run_calibrated): calibrate with kind sgld");
  cal.epsilon_chosen = true;
  const double nbeta = resolve_nbeta(config, data.size());
  const std::int64_t P = targets.pilot_steps;
  Pilot pilot(model, loss, data, config);
  const auto accepted = [&](const CalibrationTrial& t) { return t.diverged == 0 && t.acceptance >= targets.acceptance; };
  const auto try_epsilon = [&](double eps) {
    CalibrationTrial t = pilot.measure(eps, P);
    t.passed = accepted(t);
    cal.trials.push_back(t);
    cal.pilot_gradient_evaluations += 2 * P;  // the step and MALA's evaluation at the proposal
    return t.passed;
  };

  // A first guess from the scale of the potential's gradient (∝ nβ), then steps of
  // 4× up or down until the acceptance target is bracketed, then one of 2×. Below a
  // millionth of the first guess the chains barely move within a budget, so the
  // search stops there and reports failure.
  double eps = std::min(1e-2, 0.03 / nbeta);
  if (config.localization > 0) eps = std::min(eps, 0.5 / config.localization);
  const double floor = 1e-6 * eps;
  double good = 0, bad = 0;
  for (int i = 0; i < 20; ++i) {
    if (try_epsilon(eps)) {
      good = eps;
      if (bad > 0 || eps >= 1) break;
      eps *= 4;
    } else {
      bad = eps;
      if (good > 0 || eps / 4 < floor) break;
      eps /= 4;
    }
  }
  if (good == 0) {
    cal.failed = true;
    cal.epsilon_reason = "no step size reached MALA acceptance " + fmt(targets.acceptance) + " without divergence (" +
                         trials_text(cal.trials) + "); the posterior may be improper at this w*: train further or "
                         "raise the localization gamma";
    return eps;
  }
  if (bad > 0 && try_epsilon(good * 2)) good *= 2;
  const double acceptance_epsilon = good;
  double acceptance = 0;
  for (const auto& t : cal.trials)
    if (t.passed && t.epsilon == good) acceptance = t.acceptance;

  // MALA is exact at any ε; SGLD's bias is measured by halving ε with coupled chains
  std::string halving;
  if (config.kind == SamplerKind::sgld) {
    // Two coupled pairs suffice: the standard error of the difference comes from its
    // trace (its effective sample size over both pairs), not from the spread of a
    // handful of chain means.
    SamplerConfig c = config;
    c.num_chains = 2;
    bool settled = false;
    const double init_term = nbeta * full_data_loss(model, loss, data);
    for (int h = 0; h <= targets.max_halvings; ++h) {
      c.epsilon = good;
      const std::vector<CoupledMeans> m = step_halving_means(model, loss, data, c, 2 * P);
      cal.pilot_gradient_evaluations += 3 * 2 * P;
      std::vector<std::vector<double>> diff;
      std::vector<double> half;
      for (const auto& x : m) {
        std::vector<double> d = x.difference;
        for (double& v : d) v *= nbeta;
        diff.push_back(std::move(d));
        half.push_back(nbeta * x.fine);
      }
      CalibrationTrial t;
      t.epsilon = good;
      t.test = "halving";
      const bool finite = std::all_of(half.begin(), half.end(), [](double v) { return std::isfinite(v); });
      const TraceDiagnostics d = finite ? diagnose(diff) : TraceDiagnostics{};
      t.difference = finite ? d.mean : std::numeric_limits<double>::quiet_NaN();
      t.difference_se = finite ? d.mcse : std::numeric_limits<double>::quiet_NaN();
      // λ̂ at ε/2 relative to the pilot's own start: the chains' mean loss minus L_n(w*)
      t.llc_half = mean_of(half) - init_term;
      t.passed = std::isfinite(t.difference) &&
                 std::abs(t.difference) - t.difference_se <= targets.halving_tolerance * std::abs(t.llc_half);
      cal.trials.push_back(t);
      if (t.passed) {
        settled = true;
        std::ostringstream os;
        os << "halving it moved λ̂ by " << fmt(100 * t.difference / std::abs(t.llc_half), 2) << " % ± "
           << fmt(100 * t.difference_se / std::abs(t.llc_half), 2) << " %";
        halving = os.str();
        break;
      }
      if (h < targets.max_halvings) good /= 2;
    }
    if (!settled)
      halving = "λ̂ still moved when it was halved " + std::to_string(targets.max_halvings) +
                " times; the smallest step size tried is used";
  }
  std::ostringstream os;
  os << "epsilon " << fmt(good) << ": ";
  if (good == acceptance_epsilon)
    os << "the largest step size tried with MALA acceptance >= " << fmt(targets.acceptance) << " (" << fmt(acceptance, 2)
       << ")";
  else
    os << fmt(acceptance_epsilon) << " reached MALA acceptance " << fmt(acceptance, 2) << ", then halved";
  if (!halving.empty()) os << "; " << halving;
  cal.epsilon_reason = os.str();
  cal.epsilon = good;
  return good;
}

CalibratedRun run_calibrated(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& config,
                             double init_loss, const CalibrationTargets& targets, const ProgressFn& progress,
                             const ChainSharing& sharing) {
  // the config itself is checked by the engine (ChainSet) before any chain runs
  check(targets.pilot_steps >= 4 && targets.first_round_steps >= 8 &&
            targets.max_steps_per_chain >= targets.first_round_steps && targets.relative_mcse > 0 &&
            targets.ess_per_chain > 0 && targets.rhat > 1 && targets.acceptance > 0 && targets.acceptance < 1,
        "estimate_llc", "calibration targets out of range");
  CalibratedRun out;
  Calibration& cal = out.calibration;
  SamplerConfig c = config;
  out.nbeta = resolve_nbeta(c, data.size());
  const double nbeta = out.nbeta;
  if (!c.epsilon) {
    if (c.kind == SamplerKind::sgnht) {
      // SGNHT's step h from the SGLD step ε calibrated for this model: on a quadratic
      // of curvature κ, SGLD is stable for ε κ < 4 and SGNHT's momentum step for
      // h² κ < 4, so h = √ε keeps the margin the calibration found.
      SamplerConfig sgld = c;
      sgld.kind = SamplerKind::sgld;
      const double eps = calibrate_epsilon(model, loss, data, sgld, targets, cal);
      c.epsilon = std::sqrt(eps);
      cal.epsilon = *c.epsilon;
      if (!cal.failed)
        cal.epsilon_reason = "SGNHT step h = √ε = " + fmt(*c.epsilon) + " (the same stability margin) for the SGLD " +
                             cal.epsilon_reason;
    } else {
      c.epsilon = calibrate_epsilon(model, loss, data, c, targets, cal);
    }
    if (cal.failed) {
      c.num_draws = c.num_draws.value_or(1);
      c.num_burnin_steps = c.num_burnin_steps.value_or(0);
      out.config = c;
      return out;
    }
  }
  cal.epsilon = *c.epsilon;
  const bool cut_burnin = !c.num_burnin_steps, grow = !c.num_draws;
  if (cut_burnin) c.num_burnin_steps = 0;
  const std::int64_t every = c.num_steps_bw_draws;
  const std::int64_t budget_draws = std::max<std::int64_t>(1, (targets.max_steps_per_chain - *c.num_burnin_steps) / every);
  if (grow) c.num_draws = std::min(budget_draws, std::max<std::int64_t>(8, targets.first_round_steps / every));

  auto set = std::make_unique<ChainSet>(model, loss, data, c, sharing);
  std::int64_t cut = 0, restarts = 0;
  TraceDiagnostics d;
  double llc = 0;
  for (;;) {
    set->run(progress);
    ++cal.rounds;
    // Chains may reach regions the pilots did not, stiffer ones where ε is too large:
    // a divergence, or a mean acceptance below the level at which LLCResult warns
    // (kMalaAcceptanceWarning), halves a calibrated ε and starts the main run again
    // from w*.
    const auto& traces = set->traces();
    const bool diverged = std::any_of(traces.begin(), traces.end(), [](const ChainTrace& t) { return t.diverged; });
    double acceptance = 0;
    std::int64_t checked = 0;
    for (const auto& t : traces)
      if (!t.diverged && t.mala_checks > 0) acceptance += t.mala_acceptance, ++checked;
    acceptance = checked ? acceptance / static_cast<double>(checked) : 1.0;
    if (cal.epsilon_chosen && (diverged || acceptance < kMalaAcceptanceWarning) && restarts < targets.max_halvings) {
      CalibrationTrial t;
      t.epsilon = *c.epsilon;
      t.test = "main run";
      t.acceptance = acceptance;
      for (const auto& tr : traces) t.diverged += tr.diverged;
      cal.trials.push_back(t);
      ++restarts;
      c.epsilon = *c.epsilon / 2;
      cal.epsilon = *c.epsilon;
      cal.epsilon_reason += "; halved in the main run (" + std::string(diverged ? "a chain diverged" : "acceptance " + fmt(acceptance, 2)) + ")";
      set = std::make_unique<ChainSet>(model, loss, data, c, sharing);
      continue;
    }
    const auto healthy = healthy_losses(traces);
    if (healthy.empty()) break;
    const std::int64_t length = static_cast<std::int64_t>(chain_average(healthy).size());
    cut = cut_burnin ? stationarity_cut(chain_average(healthy), std::max<std::int64_t>(1, length / 100)) : 0;
    // with the draws fixed there is nothing to decide: the summary diagnoses the
    // traces once (estimate_llc then says whether they met the targets)
    if (!grow) break;
    std::vector<std::vector<double>> kept;
    for (const auto& h : healthy) kept.emplace_back(h.begin() + cut, h.end());
    d = diagnose(kept);
    llc = nbeta * (d.mean - init_loss);
    const double chains = static_cast<double>(kept.size());
    const double ess = std::min(d.ess_bulk, d.ess_tail);
    const double mcse = nbeta * d.mcse;
    cal.targets_met = d.rhat <= targets.rhat && ess >= targets.ess_per_chain * chains &&
                      mcse <= targets.relative_mcse * std::abs(llc);
    const std::int64_t draws = *set->config().num_draws;
    if (cal.targets_met || draws >= budget_draws) break;
    // how much longer the kept part must be, from how the error falls with length
    const double kept_length = static_cast<double>(draws - cut);
    double factor = std::max(targets.ess_per_chain * chains / std::max(ess, 1.0),
                             std::pow(mcse / (targets.relative_mcse * std::abs(llc)), 2));
    if (d.rhat > targets.rhat) factor = std::max(factor, 2.0);
    const auto wanted = static_cast<std::int64_t>(static_cast<double>(cut) + 1.2 * factor * kept_length);
    set->config().num_draws = std::min(budget_draws, std::clamp(wanted, draws * 3 / 2, draws * 4));
  }
  c = set->config();
  out.traces = set->traces();
  for (auto& t : out.traces) {
    const auto drop = std::min<std::size_t>(static_cast<std::size_t>(cut), t.losses.size());
    t.losses.erase(t.losses.begin(), t.losses.begin() + static_cast<std::ptrdiff_t>(drop));
  }
  // the config as run: the cut counts as burn-in
  c.num_burnin_steps = *c.num_burnin_steps + cut * every;
  c.num_draws = *c.num_draws - cut;
  out.config = c;
  cal.burnin = *c.num_burnin_steps;
  cal.draws = *c.num_draws;
  cal.burnin_chosen = cut_burnin;
  cal.draws_chosen = grow;
  const double chains = static_cast<double>(healthy_losses(out.traces).size());
  if (cut_burnin)
    cal.burnin_reason = "burn-in " + std::to_string(cal.burnin) +
                        " steps: where the chain-averaged trace becomes stationary (MSER)";
  if (chains == 0) {
    cal.draws_reason = "every chain diverged at epsilon " + fmt(*c.epsilon) + ": no estimate";
  } else if (grow) {
    std::ostringstream os;
    os << cal.draws << " draws per chain";
    const std::string state = "MCSE " + fmt(100 * nbeta * d.mcse / std::abs(llc), 2) + " % of λ̂, bulk-ESS " +
                              fmt(d.ess_bulk / std::max(chains, 1.0)) + " and tail-ESS " +
                              fmt(d.ess_tail / std::max(chains, 1.0)) + " per chain, R-hat " + fmt(d.rhat, 4);
    if (cal.targets_met)
      os << ": " << state << " (targets " << fmt(100 * targets.relative_mcse) << " %, " << fmt(targets.ess_per_chain)
         << ", " << fmt(targets.rhat) << ")";
    else
      os << ": the budget of " << targets.max_steps_per_chain << " steps per chain ran out before the targets were met ("
         << state << "); raise the budget (max_steps_per_chain, --max-steps) for a more precise estimate";
    cal.draws_reason = os.str();
  }
  return out;
}

}  // namespace lambdahat
