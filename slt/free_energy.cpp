#include "slt/free_energy.hpp"

#include <algorithm>
#include <cmath>

#include "tensor/random.hpp"

namespace lambdahat {

double local_free_energy(std::int64_t n, double loss_at_w, double llc) {
  check(n >= 2, "local_free_energy", "n must be >= 2, got ", n);
  return static_cast<double>(n) * loss_at_w + llc * std::log(static_cast<double>(n));
}

double free_energy_difference(std::int64_t n, double loss_a, double llc_a, double loss_b, double llc_b) {
  check(n >= 2, "free_energy_difference", "n must be >= 2, got ", n);
  return static_cast<double>(n) * (loss_b - loss_a) + std::log(static_cast<double>(n)) * (llc_b - llc_a);
}

namespace {
struct Expectation {
  double mean, standard_error;
  std::vector<double> per_chain;
};

// E[n L_n(w)] over the draws of every chain, with the standard error across chains.
Expectation expected_scaled_loss(const std::vector<ChainTrace>& traces, std::int64_t n) {
  Expectation e{0, 0, {}};
  for (const auto& t : traces) {
    check(!t.diverged, "free energy", t.divergence);
    double s = 0;
    for (double v : t.losses) s += v;
    e.per_chain.push_back(static_cast<double>(n) * s / static_cast<double>(t.losses.size()));
  }
  for (double v : e.per_chain) e.mean += v;
  e.mean /= static_cast<double>(e.per_chain.size());
  if (e.per_chain.size() > 1) {
    double ss = 0;
    for (double v : e.per_chain) ss += (v - e.mean) * (v - e.mean);
    e.standard_error = std::sqrt(ss / static_cast<double>(e.per_chain.size() - 1) /
                                 static_cast<double>(e.per_chain.size()));
  }
  return e;
}

// E_φ[n L_n] with w drawn from the prior N(w*, γ⁻¹ I) directly: num_chains groups
// of num_draws independent draws.
Expectation prior_expectation(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& config) {
  std::vector<ChainTrace> traces(static_cast<std::size_t>(config.num_chains));
  const double sd = 1 / std::sqrt(config.localization);
  for (std::int64_t c = 0; c < config.num_chains; ++c) {
    auto copy = model.clone();
    std::vector<Tensor> anchor;
    for (auto& p : copy->parameters()) anchor.push_back(p.value().clone());
    Generator gen = Generator(config.seed, static_cast<std::uint64_t>(c)).derive(3);
    for (std::int64_t d = 0; d < config.num_draws; ++d) {
      std::size_t i = 0;
      for (auto& p : copy->parameters()) {
        p.value().copy_(add(anchor[i++], normal(p.shape(), gen, 0, sd, p.dtype())));
      }
      traces[static_cast<std::size_t>(c)].losses.push_back(full_data_loss(*copy, loss, data));
    }
  }
  return expected_scaled_loss(traces, data.size());
}
}  // namespace

WBICResult wbic(Module& model, const LossFn& loss, const Dataset& data, SamplerConfig config) {
  const std::int64_t n = data.size();
  check(n >= 2, "wbic", "needs at least 2 examples, got ", n);
  config.nbeta = static_cast<double>(n) / std::log(static_cast<double>(n));
  config.full_data_draw_loss = true;
  const Expectation e = expected_scaled_loss(run_chains(model, loss, data, config), n);
  return {e.mean, e.standard_error, config.nbeta, e.per_chain};
}

std::vector<double> beta_ladder(int rungs, double power) {
  check(rungs >= 2, "beta_ladder", "needs at least 2 rungs, got ", rungs);
  std::vector<double> b;
  for (int j = 0; j <= rungs; ++j) b.push_back(std::pow(static_cast<double>(j) / rungs, power));
  return b;
}

ThermodynamicIntegration thermodynamic_integration(Module& model, const LossFn& loss, const Dataset& data,
                                                   const SamplerConfig& config, const std::vector<double>& betas,
                                                   const LadderOptions& options) {
  check(betas.size() >= 3 && betas.front() == 0 && betas.back() == 1, "thermodynamic_integration",
        "the ladder must start at 0, end at 1 and have at least 3 rungs");
  for (std::size_t i = 1; i < betas.size(); ++i)
    check(betas[i] > betas[i - 1], "thermodynamic_integration", "the ladder must increase");
  check(config.localization > 0, "thermodynamic_integration", "needs a proper prior: localization gamma > 0");
  const std::int64_t n = data.size();
  ThermodynamicIntegration ti;
  ti.betas = betas;
  for (double beta : betas) {
    Expectation e;
    if (beta == 0) {
      e = prior_expectation(model, loss, data, config);
    } else {
      SamplerConfig c = config;
      c.nbeta = beta * static_cast<double>(n);
      if (options.epsilon_nbeta > 0 && c.epsilon)
        c.epsilon = *c.epsilon * std::min(1.0, options.epsilon_nbeta / c.nbeta);
      c.full_data_draw_loss = true;
      c.mala_every = 0;
      e = expected_scaled_loss(run_chains(model, loss, data, c), n);
    }
    ti.expectations.push_back(e.mean);
    ti.standard_errors.push_back(e.standard_error);
  }
  // trapezoid rule, on all rungs and on every other one
  auto trapezoid = [&](std::size_t stride, double& variance) {
    double total = 0;
    variance = 0;
    std::vector<double> weight(betas.size(), 0.0);
    std::size_t i = 0;
    for (; i + stride < betas.size(); i += stride) {
      const double h = betas[i + stride] - betas[i];
      total += h * (ti.expectations[i] + ti.expectations[i + stride]) / 2;
      weight[i] += h / 2;
      weight[i + stride] += h / 2;
    }
    if (i != betas.size() - 1) return std::nan("");  // the coarse rule must end at β = 1
    for (std::size_t j = 0; j < betas.size(); ++j) variance += weight[j] * weight[j] * ti.standard_errors[j] * ti.standard_errors[j];
    return total;
  };
  double variance = 0, coarse_variance = 0;
  ti.free_energy = trapezoid(1, variance);
  ti.sampling_error = std::sqrt(variance);
  const double coarse = trapezoid(2, coarse_variance);
  ti.quadrature_error = std::isnan(coarse) ? std::nan("") : std::abs(ti.free_energy - coarse) / 3;
  return ti;
}

}  // namespace lambdahat
