#include "slt/llc.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

#include "slt/diagnostics.hpp"
#include "tensor/parallel.hpp"

namespace lambdahat {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double mean(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += v;
  return x.empty() ? kNaN : s / static_cast<double>(x.size());
}
double sample_sd(const std::vector<double>& x) {
  if (x.size() < 2) return 0;
  const double m = mean(x);
  double s = 0;
  for (double v : x) s += (v - m) * (v - m);
  return std::sqrt(s / static_cast<double>(x.size() - 1));
}
std::string fmt(double v) {
  std::ostringstream os;
  os.precision(3);
  os << v;
  return os.str();
}

// The 0.99 quantile of Gamma(a, 1), through the Wilson–Hilferty cube-root normal
// approximation of χ²_2a / 2 (within 1 % for a ≥ 1/2).
double gamma_quantile_99(double a) {
  const double k = 2 * a, z = 2.3263478740408408;
  const double c = 1 - 2 / (9 * k) + z * std::sqrt(2 / (9 * k));
  return k * c * c * c / 2;
}
}  // namespace

bool LLCResult::has_estimate() const { return std::isfinite(mean) && !calibration.failed; }

LLCResult summarize_llc(const std::vector<ChainTrace>& traces, double init_loss, double nbeta, std::int64_t n,
                        double minibatch_spread) {
  LLCResult r;
  r.init_loss = init_loss;
  r.nbeta = nbeta;
  r.n = n;
  std::vector<double> healthy_llc, mala;
  Chains healthy_traces;
  for (const ChainTrace& t : traces)
    if (!t.diverged) healthy_traces.push_back(t.losses);
  // The diagnostics of each chain and of the pool are independent of one another:
  // they run side by side (each on one thread, so the results do not depend on the
  // thread count). For long traces they cost more than the sampling did.
  const auto tasks = static_cast<std::int64_t>(traces.size()) + 1;
  std::vector<TraceDiagnostics> per_chain(traces.size());
  TraceDiagnostics pooled;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(static_cast<int>(std::min<std::int64_t>(tasks, num_threads())))
#endif
  for (std::int64_t task = 0; task < tasks; ++task) {
    if (task == tasks - 1) {
      pooled = healthy_traces.empty() ? diagnose({}) : diagnose(healthy_traces);
    } else if (!traces[static_cast<std::size_t>(task)].losses.empty()) {
      per_chain[static_cast<std::size_t>(task)] = diagnose({traces[static_cast<std::size_t>(task)].losses});
    }
  }
  for (std::size_t i = 0; i < traces.size(); ++i) {
    const ChainTrace& t = traces[i];
    LLCChain c;
    c.losses = t.losses;
    c.mean_loss = mean(t.losses);
    // λ̂_c = nβ (mean_t L(w_t) − L_n(w*))
    c.llc = nbeta * (c.mean_loss - init_loss);
    if (!t.losses.empty()) {
      const TraceDiagnostics& d = per_chain[i];
      c.rhat = d.rhat;
      c.ess_bulk = d.ess_bulk;
      c.ess_tail = d.ess_tail;
      c.mcse = nbeta * d.mcse;
    }
    c.mala_acceptance = t.mala_acceptance;
    c.diverged = t.diverged;
    c.divergence = t.divergence;
    if (t.diverged) {
      ++r.diagnostics.diverged_chains;
      r.warnings.push_back(t.divergence + "; the estimate uses the healthy chains only: lower the step size epsilon");
    } else {
      healthy_llc.push_back(c.llc);
      if (t.mala_checks > 0) mala.push_back(t.mala_acceptance);
    }
    r.chains.push_back(std::move(c));
  }
  r.mean = mean(healthy_llc);
  r.std = sample_sd(healthy_llc);
  r.diagnostics.rhat = pooled.rhat;
  r.diagnostics.rhat_bulk = pooled.rhat_bulk;
  r.diagnostics.rhat_tail = pooled.rhat_tail;
  r.diagnostics.ess_bulk = pooled.ess_bulk;
  r.diagnostics.ess_tail = pooled.ess_tail;
  r.diagnostics.mcse = nbeta * pooled.mcse;
  r.diagnostics.mala_acceptance = mala.empty() ? kNaN : mean(mala);

  // w* minimises the population loss, not L_n: L_n(w*) − min L_n is a finite-n
  // fluctuation, χ²_d / (2n) for a regular model (Wilks) and of the order Gamma(λ)/n
  // for a singular one. So a draw may lie below L_n(w*) by up to (nβ/n)·Gamma(λ) in
  // λ̂ units (its 0.99 quantile, with λ̂ for λ), plus, for minibatch draws, 2.33
  // minibatch standard deviations. Only draws beyond that margin count as below.
  const double lambda_guess = std::max(std::isfinite(r.mean) ? r.mean : 0.0, 0.5);
  r.diagnostics.below_init_margin = nbeta / static_cast<double>(std::max<std::int64_t>(n, 1)) * gamma_quantile_99(lambda_guess) +
                                    2.3263478740408408 * nbeta * minibatch_spread;
  std::int64_t below = 0, draws = 0;
  for (std::size_t i = 0; i < traces.size(); ++i) {
    std::int64_t b = 0;
    for (double v : traces[i].losses) b += nbeta * (v - init_loss) < -r.diagnostics.below_init_margin;
    LLCChain& c = r.chains[i];
    c.below_init_fraction = c.losses.empty() ? 0 : static_cast<double>(b) / static_cast<double>(c.losses.size());
    if (!c.diverged) {
      below += b;
      draws += static_cast<std::int64_t>(c.losses.size());
    }
  }
  r.diagnostics.below_init_fraction = draws ? static_cast<double>(below) / static_cast<double>(draws) : 0;

  // the online estimate: λ̂ from the first t+1 draws of each healthy chain
  std::size_t longest = 0;
  for (const auto& t : healthy_traces) longest = std::max(longest, t.size());
  std::vector<double> running(healthy_traces.size(), 0.0);
  for (std::size_t d = 0; d < longest; ++d) {
    std::vector<double> at;
    for (std::size_t c = 0; c < healthy_traces.size(); ++c) {
      if (d >= healthy_traces[c].size()) continue;
      running[c] += healthy_traces[c][d];
      at.push_back(nbeta * (running[c] / static_cast<double>(d + 1) - init_loss));
    }
    r.trace_mean.push_back(mean(at));
    r.trace_std.push_back(sample_sd(at));
  }

  // warnings are part of the result, and each says what to do
  const double chains = static_cast<double>(healthy_traces.size());
  if (healthy_llc.empty()) r.warnings.push_back("every chain diverged: no estimate; lower the step size epsilon");
  if (r.diagnostics.below_init_fraction > kBelowInitWarning)
    r.warnings.push_back(fmt(100 * r.diagnostics.below_init_fraction) +
                         "% of the draws lie below the loss at w* by more than finite n explains: w* is probably not "
                         "a local minimum (the sampler keeps descending); train further, or raise the localization gamma");
  bool frozen = !healthy_traces.empty();
  for (const auto& t : healthy_traces)
    for (double v : t) frozen = frozen && v == healthy_traces.front().front();
  if (frozen)
    r.warnings.push_back("the loss did not change over the draws: the step size is too small to move the parameters at "
                         "this precision, so λ̂ means nothing; raise epsilon, or leave it unset to calibrate it");
  if (!healthy_llc.empty() && r.mean < 0)
    r.warnings.push_back("the estimate is negative, which a learning coefficient cannot be: see the warnings above");
  if (std::isfinite(r.diagnostics.rhat) && r.diagnostics.rhat > kRhatWarning)
    r.warnings.push_back("R-hat is " + fmt(r.diagnostics.rhat) + " (above " + fmt(kRhatWarning) +
                         "): the chains disagree or still drift; run more draws or a longer burn-in");
  // SGLD has no accept/reject step, so a step that MALA would often reject biases λ̂
  // rather than only slowing the chain (slt/README.md, "Accuracy").
  if (!mala.empty() && r.diagnostics.mala_acceptance < kMalaAcceptanceWarning)
    r.warnings.push_back("MALA acceptance is " + fmt(r.diagnostics.mala_acceptance) +
                         ": the step size is too large for this posterior and SGLD's bias grows as acceptance falls; "
                         "lower epsilon, or leave it unset to calibrate it");
  if (!healthy_traces.empty() && std::min(r.diagnostics.ess_bulk, r.diagnostics.ess_tail) < kEssPerChainWarning * chains)
    r.warnings.push_back("the effective sample size (bulk " + fmt(r.diagnostics.ess_bulk) + ", tail " +
                         fmt(r.diagnostics.ess_tail) + ") is below " + fmt(kEssPerChainWarning) +
                         " per chain: the draws are strongly correlated; run more draws");
  return r;
}

LLCResult estimate_llc(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& config,
                       const LLCOptions& options, const ProgressFn& progress) {
  const auto start = std::chrono::steady_clock::now();
  validate(config, data.size());  // before any work; nβ is resolved once, by run_calibrated
  double init_loss;
  if (options.init_loss_from_minibatch && config.batch_size > 0 && config.batch_size < data.size()) {
    NoGradGuard no_grad;
    DataLoader loader(data, LoaderOptions{.batch_size = config.batch_size, .seed = config.seed});
    init_loss = loss(model, loader.next()).item();
  } else {
    init_loss = full_data_loss(model, loss, data);
  }
  check(std::isfinite(init_loss), "estimate_llc", "the loss at w* is ", init_loss, "; nothing can be estimated");
  const double spread = minibatch_loss_spread(model, loss, data, config);

  CalibratedRun run = run_calibrated(model, loss, data, config, init_loss, options.targets, progress, options.sharing);
  LLCResult r = summarize_llc(run.traces, init_loss, run.nbeta, data.size(), spread);
  r.config = run.config;
  r.calibration = std::move(run.calibration);
  if (r.calibration.failed) {
    r.mean = r.std = kNaN;
    r.warnings.insert(r.warnings.begin(), r.calibration.epsilon_reason);
  } else if (!r.calibration.draws_chosen) {
    // the calibration's targets, judged on the fixed-length run's pooled diagnostics
    const double healthy = static_cast<double>(r.chains.size()) - static_cast<double>(r.diagnostics.diverged_chains);
    r.calibration.targets_met =
        healthy > 0 && r.diagnostics.rhat <= options.targets.rhat &&
        std::min(r.diagnostics.ess_bulk, r.diagnostics.ess_tail) >= options.targets.ess_per_chain * healthy &&
        r.diagnostics.mcse <= options.targets.relative_mcse * std::abs(r.mean);
  } else if (!r.calibration.targets_met) {
    r.warnings.push_back(r.calibration.draws_reason);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace lambdahat
