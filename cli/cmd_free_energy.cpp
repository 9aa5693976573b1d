// lambdahat free-energy: three estimates of the free energy of the model at w*
// (docs/theory.md, "The free energy"), each with its error:
//   local:  F̂ = n L_n(w*) + λ̂ log n, from a calibrated LLC estimate;
//   WBIC:   E[n L_n(w)] at nβ = n / log n, with the LLC's calibrated step;
//   thermodynamic integration: F = ∫₀¹ E_β[n L_n] dβ under the localizing prior
//           N(w*, γ⁻¹ I), over a ladder of temperatures, with its sampling and
//           quadrature errors.
#include <cmath>
#include <cstdio>
#include <limits>

#include "commands.hpp"
#include "report.hpp"
#include "sampler_flags.hpp"

namespace lambdahat::cli {

namespace {

struct Options {
  ProblemSpec spec;
  SamplerFlags sampler;
  std::int64_t rungs = 32, rung_draws = 5000;
  std::string json;
  bool strict = false;
};

// "12.3 ± 0.4"
std::string with_error(double value, double error) {
  char text[96];
  std::snprintf(text, sizeof text, "%.6g ± %.2g", value, error);
  return text;
}

}  // namespace

Runner add_free_energy_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "free-energy", "the free energy at w*: local (n L_n + λ̂ log n), WBIC and thermodynamic integration, with errors");
  cmd->footer(
      "The LLC estimate is calibrated as in lambdahat llc; WBIC and every rung of the integration reuse its step size\n"
      "and burn-in (a rung at nβ above the LLC's scales the step down so that ε·nβ stays the same).\n"
      "Exit codes: 0 all three estimates; 1 one of them could not be made; 2 a usage error; 3 estimates with\n"
      "warnings under --strict.");
  auto o = std::make_shared<Options>();
  add_model_flags(*cmd, o->spec);
  cmd->add_option("--seed", o->spec.seed, "seed for data, initialisation and sampling")
      ->check(integer_in(0, std::numeric_limits<std::int64_t>::max()))
      ->capture_default_str();
  add_sampler_flags(*cmd, o->sampler, SamplerFlagSet::estimate);
  cmd->add_option("--rungs", o->rungs, "thermodynamic integration: rungs of the ladder β_j = (j/K)³, j = 0..K")
      ->check(integer_in(2, 1000))
      ->capture_default_str();
  cmd->add_option("--rung-draws", o->rung_draws, "thermodynamic integration: draws per chain at each rung")
      ->check(integer_in(10, 1000000000))
      ->capture_default_str();
  cmd->add_option("--json", o->json, "write the estimates as JSON to this file (- for standard output)");
  cmd->add_flag("--strict", o->strict, "exit 3 when the estimates come with warnings");
  return [o, cmd] {
    apply_checkpoint_record(*cmd, o->spec);
    const SamplerConfig c = sampler_config(o->sampler, o->spec);
    check_before_work(*cmd, o->spec, o->sampler, c);
    check(c.localization > 0, "lambdahat", "--gamma must be > 0 for free-energy: the integration needs a proper prior");
    check(c.sample_only.empty(), "lambdahat", "free-energy takes no --sample-only: it integrates over every parameter");
    if (!o->json.empty()) check_output_file(o->json, "--json");
    FILE* out = o->json == "-" ? stderr : stdout;
    const auto say = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    Problem problem = make_problem(o->spec, say);
    validate(c, problem.data.size());
    const std::int64_t n = problem.data.size();
    check(n >= 2, "lambdahat", "free-energy needs a data set of at least 2 examples, got ", n);
    const double log_n = std::log(static_cast<double>(n));

    say("estimating λ̂...");
    const LLCResult r = estimate_llc(*problem.model, problem.loss, problem.data, c);
    nlohmann::json j = {{"model", problem.description}, {"n", n}, {"loss_at_w", problem.train_loss}};
    std::vector<std::string> warnings = r.warnings;
    bool complete = r.has_estimate();
    std::fprintf(out, "free energy of the %s\n  n L_n(w*) = %.6g\n", problem.description.c_str(),
                 static_cast<double>(n) * problem.train_loss);
    if (r.has_estimate()) {
      const double f = local_free_energy(n, problem.train_loss, r.mean);
      const double error = log_n * r.diagnostics.mcse;
      std::fprintf(out, "  local:  F̂ = n L_n(w*) + λ̂ log n = %s   (λ̂ = %s)\n", with_error(f, error).c_str(),
                   with_error(r.mean, r.diagnostics.mcse).c_str());
      j["local"] = {{"value", f}, {"error", error}, {"llc", r.mean}, {"llc_mcse", r.diagnostics.mcse}};
    } else {
      std::fprintf(out, "  local:  no estimate (no healthy chain, or no stable step size)\n");
      j["local"] = nullptr;
    }
    j["llc"] = to_json(r, std::nullopt);

    // WBIC and the ladder sample with the LLC run's calibrated settings
    SamplerConfig run = r.config;
    if (r.has_estimate()) {
      try {
        say("WBIC...");
        const WBICResult w = wbic(*problem.model, problem.loss, problem.data, run);
        // the same quantity as the local estimate when λ̂ is sampled at nβ = n / log n
        // (n L_n(w*) + λ̂ log n = n E[L_n]): a check of the two, not a third opinion
        std::fprintf(out, "  WBIC:   E[n L_n] at nβ = n / log n = %.4g: %s\n", w.nbeta,
                     with_error(w.wbic, w.standard_error).c_str());
        j["wbic"] = {{"value", w.wbic}, {"error", w.standard_error}, {"nbeta", w.nbeta}, {"per_chain", w.per_chain}};
      } catch (const Error& e) {
        complete = false;
        std::fprintf(out, "  WBIC:   no estimate (%s)\n", e.what());
        j["wbic"] = nullptr;
      }
      try {
        run.num_draws = o->rung_draws;
        run.mala_every = 0;
        const std::vector<double> betas = beta_ladder(static_cast<int>(o->rungs));
        say("thermodynamic integration over " + std::to_string(betas.size()) + " temperatures...");
        const ThermodynamicIntegration ti = thermodynamic_integration(
            *problem.model, problem.loss, problem.data, run, betas, LadderOptions{.epsilon_nbeta = r.nbeta});
        std::fprintf(out,
                     "  thermodynamic integration: F = %.6g ± %.2g (sampling) ± %.2g (quadrature), %zu temperatures, "
                     "prior N(w*, I/%g)\n",
                     ti.free_energy, ti.sampling_error, ti.quadrature_error, betas.size(), run.localization);
        nlohmann::json rungs = nlohmann::json::array();
        for (std::size_t i = 0; i < ti.betas.size(); ++i)
          rungs.push_back({{"beta", ti.betas[i]},
                           {"expectation", ti.expectations[i]},
                           {"standard_error", ti.standard_errors[i]}});
        j["thermodynamic_integration"] = {{"value", ti.free_energy},
                                          {"sampling_error", ti.sampling_error},
                                          {"quadrature_error", std::isfinite(ti.quadrature_error)
                                                                   ? nlohmann::json(ti.quadrature_error)
                                                                   : nlohmann::json(nullptr)},
                                          {"gamma", run.localization},
                                          {"draws_per_rung", o->rung_draws},
                                          {"rungs", rungs}};
      } catch (const Error& e) {
        complete = false;
        std::fprintf(out, "  thermodynamic integration: no estimate (%s)\n", e.what());
        j["thermodynamic_integration"] = nullptr;
      }
    } else {
      complete = false;
      j["wbic"] = j["thermodynamic_integration"] = nullptr;
    }
    for (const std::string& w : warnings) std::fprintf(out, "  warning: %s\n", w.c_str());
    j["warnings"] = warnings;
    j["version"] = kVersion;
    if (!o->json.empty()) write_output(o->json, j.dump(2) + "\n");
    if (!complete) return 1;
    return o->strict && !warnings.empty() ? 3 : 0;
  };
}

}  // namespace lambdahat::cli
