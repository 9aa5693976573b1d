// lambdahat theory and lambdahat llc.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>

#include "cluster.hpp"
#include "commands.hpp"
#include "families.hpp"
#include "flags.hpp"
#include "report.hpp"
#include "studies/shards.hpp"

namespace lambdahat::cli {

void add_model_flags(CLI::App& app, ProblemSpec& spec, bool with_training) {
  constexpr std::int64_t kMaxWidth = 1 << 20;
  app.add_option("--model", spec.model, family_names())->capture_default_str();
  app.add_option("--powers", spec.powers, "polynomial: powers k_i of f = x Π w_i^k_i")
      ->delimiter(',')->check(integer_in(0, 32))->capture_default_str();
  app.add_option("--widths", spec.widths, "dln/rrr: layer widths H_1,...,H_L+1 (rrr: M,H,N)")
      ->delimiter(',')->check(integer_in(1, kMaxWidth))->capture_default_str();
  app.add_option("--rank", spec.rank, "dln/rrr: teacher rank r; autoencoder: data rank s (default 0; autoencoder 2)")
      ->check(integer_in(0, kMaxWidth));
  app.add_option("--dim", spec.dim, "autoencoder: input dimension d")->check(integer_in(1, kMaxWidth))->capture_default_str();
  app.add_option("--bottleneck", spec.bottleneck, "autoencoder: bottleneck h")
      ->check(integer_in(1, kMaxWidth))->capture_default_str();
  app.add_flag("--relu", spec.relu, "autoencoder: ReLU between encoder and decoder");
  app.add_flag("--tied", spec.tied, "autoencoder: decoder = encoderᵀ");
  app.add_option("--features", spec.features, "tms: number of features")->check(integer_in(2, kMaxWidth))->capture_default_str();
  app.add_option("--hidden", spec.hidden, "tms: hidden dimensions")->check(integer_in(2, kMaxWidth))->capture_default_str();
  app.add_option("--kgon", spec.kgon,
                 "tms: start at the regular k-gon critical point (--hidden 2; inputs uniform in [0, 1])")
      ->check(integer_in(5, kMaxWidth));
  app.add_option("--p", spec.p, "grok: modulus")->check(integer_in(2, 100000))->capture_default_str();
  if (with_training) {
    app.add_option("--n", spec.n, "data set size (default 5000; tms 1000; not grok)")->check(integer_in(1, 1000000000));
    app.add_option("--train-steps", spec.train_steps,
                   "training steps to reach w* (default 4000; tms: 4500 epochs; grok 25000; not polynomial)")
        ->check(integer_in(1, 1000000000));
    app.add_option("--checkpoint", spec.checkpoint, "load w* from a safetensors checkpoint instead of training");
  }
}

static std::vector<std::string> given_flags(const CLI::App& app) {
  std::vector<std::string> given;
  for (const CLI::Option* opt : app.get_options())
    if (opt->count() > 0 && !opt->get_lnames().empty()) given.push_back("--" + opt->get_lnames().front());
  return given;
}

Runner add_theory_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("theory", "print the exact learning coefficient λ and multiplicity m of a model");
  auto spec = std::make_shared<ProblemSpec>();
  auto params = std::make_shared<std::int64_t>(0);
  auto json_path = std::make_shared<std::string>();
  spec->model = "dln";
  add_model_flags(*cmd, *spec, false);
  cmd->add_option("--params", *params, "regular: number of parameters d")->check(integer_in(1, 1LL << 40));
  cmd->add_option("--json", *json_path, "also write {\"lambda\", \"multiplicity\"} to this file");
  // `--model regular` is accepted here only
  return [spec, params, json_path, cmd] {
    if (spec->model != "regular") check_flags_apply(*spec, given_flags(*cmd));
    check(spec->model == "regular" || cmd->count("--params") == 0, "lambdahat", "--params applies to --model regular only");
    if (!json_path->empty()) check_writable_file(*json_path, "--json");
    LearningCoefficient lc;
    if (spec->model == "regular") {
      check(*params > 0, "lambdahat", "--model regular needs --params d > 0");
      lc = regular_model(*params);
    } else {
      const auto t = theory_for(*spec);
      check(t.has_value(), "lambdahat", "no exact learning coefficient is known for --model ", spec->model,
            spec->model == "autoencoder" ? " with --relu or --tied" : "");
      lc = *t;
    }
    std::printf("lambda = %.10g\nmultiplicity = %lld\n", lc.lambda, static_cast<long long>(lc.multiplicity));
    if (!json_path->empty())
      write_text_atomically(*json_path,
                            nlohmann::json{{"lambda", lc.lambda}, {"multiplicity", lc.multiplicity}}.dump(2) + "\n");
    return 0;
  };
}

namespace {

// The sampler flags shared by llc and calibrate. Unset flags leave the setting to the
// family's defaults, that is, to the calibration.
struct SamplerFlags {
  std::string sampler = "sgld";
  std::string preset;
  std::optional<std::int64_t> chains, draws, burnin, every, batch, mala_every, max_steps, threads;
  std::optional<double> epsilon, nbeta, gamma;
  double max_memory = kDefaultMaxMemoryGiB;
  std::vector<std::string> sample_only;
};

void add_sampler_flags(CLI::App& cmd, SamplerFlags& f, bool sweep) {
  constexpr std::int64_t kBig = 1000000000;
  cmd.add_option("--sampler", f.sampler, "sgld, sgnht or mala (full-batch Metropolis-adjusted, the exact reference)")
      ->capture_default_str();
  cmd.add_option("--chains", f.chains, "number of chains (default 4)")->check(integer_in(1, 1024));
  if (!sweep) {
    cmd.add_option("--preset", f.preset, "seed-study: the seed study's fixed settings (tms and grok)");
    cmd.add_option("--draws", f.draws, "draws per chain (default: until MCSE <= 2 % of λ̂ and bulk-ESS >= 100 per chain)")
        ->check(integer_in(1, kBig));
    cmd.add_option("--burnin", f.burnin, "burn-in steps per chain (default: where the trace becomes stationary)")
        ->check(integer_in(0, kBig));
    cmd.add_option("--epsilon,--lr", f.epsilon, "step size epsilon, alias --lr (default: calibrated)")->check(number_in(1e-12, 10));
    cmd.add_option("--gamma", f.gamma, "localization strength (default 1; grok 5)")->check(number_in(0, 1e12));
    cmd.add_option("--max-steps", f.max_steps, "the calibration's budget of steps per chain (default 200000)")
        ->check(integer_in(1000, kBig));
  } else {
    cmd.add_option("--draws", f.draws, "draws per chain in every cell (default 2000)")->check(integer_in(1, kBig));
    cmd.add_option("--burnin", f.burnin, "burn-in steps per chain in every cell (default 500)")->check(integer_in(0, kBig));
  }
  cmd.add_option("--every", f.every, "steps between draws (default 1)")->check(integer_in(1, 1000000));
  cmd.add_option("--nbeta", f.nbeta, "inverse temperature times n (default n/log n; grok 2)")
      ->check(number_in(0, 1e12, true));
  cmd.add_option("--batch", f.batch, "minibatch size, 0 for the full batch (default full; grok 128)")
      ->check(integer_in(0, kBig));
  cmd.add_option("--mala-every", f.mala_every, "MALA acceptance check at every k-th draw, 0 for none (default 20)")
      ->check(integer_in(0, kBig));
  cmd.add_option("--sample-only", f.sample_only, "sample only these parameters (restricted LLC)")->delimiter(',');
  cmd.add_option("--threads", f.threads, "threads for the chains (default: all cores)")->check(integer_in(1, kMaxThreads));
  cmd.add_option("--max-memory", f.max_memory, "refuse problems that need more memory than this, in GiB")
      ->check(number_in(0, 1e6, true))->capture_default_str();
}

SamplerConfig sampler_config(const SamplerFlags& f, const ProblemSpec& spec) {
  SamplerConfig c = f.preset.empty() ? default_sampler(spec) : (check(f.preset == "seed-study", "lambdahat",
                                                                      "--preset must be seed-study, got ", f.preset),
                                                                seed_study_sampler(spec));
  c.kind = parse_sampler_kind(f.sampler);
  // the ranges were checked while parsing (flags.hpp)
  if (f.chains) c.num_chains = *f.chains;
  if (f.draws) c.num_draws = *f.draws;
  if (f.burnin) c.num_burnin_steps = *f.burnin;
  if (f.every) c.num_steps_bw_draws = *f.every;
  if (f.batch) c.batch_size = *f.batch;
  if (f.mala_every) c.mala_every = *f.mala_every;
  if (f.epsilon) c.epsilon = *f.epsilon;
  if (f.nbeta) c.nbeta = *f.nbeta;
  if (f.gamma) c.localization = *f.gamma;
  // a chain's steps, burn-in plus draws × every, stay countable and finite in time
  constexpr std::int64_t kMaxChainSteps = 2000000000;
  if (c.num_draws)
    check(*c.num_draws <= (kMaxChainSteps - c.num_burnin_steps.value_or(0)) / c.num_steps_bw_draws, "lambdahat",
          "--burnin + --draws × --every = ", c.num_burnin_steps.value_or(0), " + ", *c.num_draws, " × ",
          c.num_steps_bw_draws, " exceeds ", kMaxChainSteps, " steps per chain");
  c.sample_only = f.sample_only;
  c.threads = f.threads ? effective_threads(*f.threads, c.num_chains) : 0;
  if (c.kind == SamplerKind::sgnht && !c.epsilon)
    throw Error("lambdahat: --sampler sgnht needs --epsilon (the calibration is for sgld and mala)");
  return c;
}

// Everything that can be checked before the data is made: the flags that apply to
// the model, the memory the problem needs, the threads.
void check_before_work(const CLI::App& cmd, const ProblemSpec& spec, const SamplerFlags& f, const SamplerConfig& c) {
  check_flags_apply(spec, given_flags(cmd));
  if (!spec.checkpoint.empty()) check_readable_file(spec.checkpoint, "--checkpoint");
  check_memory(estimated_bytes(spec, c.num_chains), f.max_memory, "--model " + spec.model + " at these sizes");
  if (f.threads) set_num_threads(effective_threads(*f.threads, c.num_chains));
}

}  // namespace

Runner add_llc_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("llc", "train a model to w* (or load it) and estimate its local learning coefficient");
  cmd->footer(
      "With no sampler flags the step size, burn-in and number of draws are calibrated for the model at hand\n"
      "(slt/README.md); any flag given is used as it is.\n"
      "Exit codes: 0 an estimate; 1 no estimate (every chain diverged, or no stable step size was found);\n"
      "2 a usage error; 3 an estimate with warnings under --strict.");
  struct Options {
    ProblemSpec spec;
    SamplerFlags sampler;
    std::string json;
    bool strict = false;
    Shard shard;
  };
  auto o = std::make_shared<Options>();
  add_model_flags(*cmd, o->spec);
  cmd->add_option("--seed", o->spec.seed, "seed for data, initialisation and sampling")
      ->check(integer_in(0, std::numeric_limits<std::int64_t>::max()))->capture_default_str();
  add_sampler_flags(*cmd, o->sampler, false);
  cmd->add_option("--json", o->json, "write the result as JSON to this file");
  cmd->add_flag("--strict", o->strict, "exit 3 when the estimate comes with warnings");
  add_shard_option(*cmd, o->shard,
                   "run only the chains c with c mod N = k and write their traces to --json; needs --epsilon, "
                   "--burnin and --draws; finish with lambdahat merge");
  return [o, cmd] {
    SamplerConfig c = sampler_config(o->sampler, o->spec);
    check_before_work(*cmd, o->spec, o->sampler, c);
    if (!o->json.empty()) check_writable_file(o->json, "--json");
    // a shard cannot calibrate: the burn-in and the draws follow from every chain
    check(!o->shard.active() || (c.epsilon && c.num_burnin_steps && c.num_draws && !o->json.empty()), "lambdahat",
          "--shard needs --epsilon, --burnin, --draws and --json FILE (the calibration needs every chain)");
    check(!o->shard.active() || !cluster::distributed(), "lambdahat", "--shard and mpirun do not mix: use one or the other");
    LLCOptions options;
    if (o->sampler.max_steps) {
      check(*o->sampler.max_steps >= options.targets.first_round_steps, "lambdahat", "--max-steps must be >= ",
            options.targets.first_round_steps, ", got ", *o->sampler.max_steps);
      options.targets.max_steps_per_chain = *o->sampler.max_steps;
    }
    // Under MPI every rank makes the same problem (the same seed gives the same w*),
    // runs its share of the chains and sees all traces; rank 0 alone reports.
    options.sharing = cluster::chain_sharing();
    if (!merged_traces().empty()) {
      // lambdahat merge: the shards' traces stand in for sampling
      check(static_cast<std::int64_t>(merged_traces().size()) == c.num_chains, "lambdahat merge", "the shards hold ",
            merged_traces().size(), " chains, the command ", c.num_chains);
      options.sharing.owns = [](std::int64_t) { return false; };
      options.sharing.share = [](std::vector<ChainTrace>& traces) { traces = merged_traces(); };
    }
    const bool quiet = !cluster::is_writer();
    Problem problem = make_problem(o->spec, [quiet](const std::string& line) {
      if (!quiet) std::fprintf(stderr, "%s\n", line.c_str());
    });
    validate(c, problem.data.size());
    if (o->shard.active()) {
      const Shard shard = o->shard;
      ChainSet set(*problem.model, problem.loss, problem.data, c,
                   ChainSharing{.owns = [shard](std::int64_t chain) { return shard.owns(chain); },
                                .share = [](std::vector<ChainTrace>&) {}});
      std::unique_ptr<Progress> bar;
      set.run([&](std::int64_t done, std::int64_t total) {
        if (total == 0) return;
        if (!bar) bar = std::make_unique<Progress>("sampling", total);
        bar->update(done);
      });
      if (bar) bar->finish();
      record_llc_shard(o->json, shard, command_args(), set.traces());
      std::printf("shard %s: the traces of its chains are in %s; combine the shards with lambdahat merge\n",
                  shard.text().c_str(), o->json.c_str());
      return 0;
    }
    std::unique_ptr<Progress> bar;
    const LLCResult r = estimate_llc(*problem.model, problem.loss, problem.data, c, options,
                                     [&](std::int64_t done, std::int64_t total) {
                                       if (quiet || total == 0) return;
                                       if (!bar) bar = std::make_unique<Progress>("sampling", total);
                                       bar->update(done);
                                     });
    if (bar) bar->finish();
    if (quiet) return r.has_estimate() ? 0 : 1;
    // a restricted estimate is not the whole model's λ
    const std::optional<LearningCoefficient> theory = c.sample_only.empty() ? problem.theory : std::nullopt;
    const std::optional<double> at_n =
        theory && llc_target_defined(*theory, r.nbeta) ? std::optional<double>(llc_target_at_n(*theory, r.nbeta))
                                                      : std::nullopt;
    std::printf("%s", summary(r, theory, problem.description, at_n).c_str());
    // an optional extra: its failure leaves the estimate standing
    std::optional<double> finite_n;
    try {
      finite_n = finite_n_target(o->spec, problem, r.config);
    } catch (const Error& e) {
      std::printf("  exact finite-n target: unavailable (%s)\n", e.what());
    }
    if (finite_n && r.has_estimate())
      std::printf("  exact finite-n target for this data set, nβ and γ: %.4g   (λ̂ / target = %.3f)\n", *finite_n,
                  r.mean / *finite_n);
    if (!o->json.empty()) {
      nlohmann::json j = to_json(r, theory);
      j["theory_at_n"] = at_n ? nlohmann::json(*at_n) : nlohmann::json(nullptr);
      j["finite_n_target"] = finite_n ? nlohmann::json(*finite_n) : nlohmann::json(nullptr);
      j["model"] = problem.description;
      j["train_loss"] = problem.train_loss;
      write_text_atomically(o->json, j.dump(2) + "\n");
    }
    if (!r.has_estimate()) return 1;
    return o->strict && !r.warnings.empty() ? 3 : 0;
  };
}

Runner add_calibrate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "calibrate", "sweep the step size epsilon and localization gamma for a model: lambda-hat, acceptance, R-hat, ESS");
  struct Options {
    ProblemSpec spec;
    SamplerFlags sampler;
    std::vector<double> epsilons, gammas = {1}, nbetas;
    std::string json, svg;
  };
  auto o = std::make_shared<Options>();
  add_model_flags(*cmd, o->spec);
  cmd->add_option("--seed", o->spec.seed, "seed for data, initialisation and sampling")
      ->check(integer_in(0, std::numeric_limits<std::int64_t>::max()))->capture_default_str();
  add_sampler_flags(*cmd, o->sampler, true);
  cmd->add_option("--epsilons", o->epsilons, "step sizes to try (default 1e-6 .. 1e-2, 9 values)")
      ->delimiter(',')->check(number_in(1e-12, 10));
  cmd->add_option("--gammas", o->gammas, "localization strengths to try")
      ->delimiter(',')->check(number_in(0, 1e12))->capture_default_str();
  cmd->add_option("--nbetas", o->nbetas, "inverse temperatures nβ to try (default: the model's)")
      ->delimiter(',')->check(number_in(0, 1e12, true));
  cmd->add_option("--json", o->json, "write the table and recommendation as JSON to this file");
  cmd->add_option("--svg", o->svg, "write λ̂ against epsilon, one line per gamma, to this SVG file");
  return [o, cmd] {
    SamplerFlags flags = o->sampler;
    flags.epsilon = 1.0;  // replaced per cell
    SamplerConfig c = sampler_config(flags, o->spec);
    c.num_draws = o->sampler.draws.value_or(2000);
    c.num_burnin_steps = o->sampler.burnin.value_or(500);
    check(c.kind == SamplerKind::sgld, "lambdahat", "calibrate sweeps SGLD's step size; --sampler must be sgld");
    std::vector<double> eps = o->epsilons;
    if (eps.empty())
      for (double e = 1e-6; e < 1.5e-2; e *= std::sqrt(10.0)) eps.push_back(e);
    check_before_work(*cmd, o->spec, o->sampler, c);
    if (!o->json.empty()) check_writable_file(o->json, "--json");
    if (!o->svg.empty()) check_writable_file(o->svg, "--svg");
    Problem problem = make_problem(o->spec, [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
    validate(c, problem.data.size());
    const SweepResult sweep = sweep_step_size(*problem.model, problem.loss, problem.data, c, eps, o->gammas, o->nbetas);
    std::printf("%s", sweep_table(sweep, problem.theory, problem.description).c_str());
    if (!o->json.empty()) write_text_atomically(o->json, to_json(sweep, problem.theory).dump(2) + "\n");
    if (!o->svg.empty()) write_text_atomically(o->svg, sweep_svg(sweep, problem.theory, problem.description));
    return sweep.recommended ? 0 : 1;
  };
}

}  // namespace lambdahat::cli
