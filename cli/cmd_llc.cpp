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
#include "along_training.hpp"
#include "sampler_flags.hpp"
#include "studies/shards.hpp"

namespace lambdahat::cli {

void add_model_flags(CLI::App& app, ProblemSpec& spec, bool with_training) {
  constexpr std::int64_t kMaxWidth = 1 << 20;
  app.add_option("--model", spec.model, family_names())->capture_default_str();
  app.add_option("--powers", spec.powers, "polynomial: powers k_i of f = x Π w_i^k_i")
      ->delimiter(',')->check(integer_in(0, 32))->capture_default_str();
  app.add_option("--widths", spec.widths, "dln/rrr: layer widths H_1,...,H_L+1 (rrr: M,H,N); mlp: inputs,hidden...,classes")
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
  // a described network is a model of its own: --network chooses it
  app.add_option("--network", spec.network, "network: the JSON description of a network trained elsewhere (docs/networks.md)")
      ->each([&spec](const std::string&) { spec.model = "network"; });
  if (with_training) {
    app.add_option("--data", spec.data, "network: the data, a safetensors file with x and y");
    app.add_option("--loss", spec.loss, "network: mse (mean over entries), ce (cross-entropy) or sse (½ Σ squares per example)")
        ->check(CLI::IsMember({"mse", "ce", "sse"}));
    app.add_option("--n", spec.n, "data set size (default 5000; tms 1000; not grok)")->check(integer_in(1, 1000000000));
    app.add_option("--train-steps", spec.train_steps,
                   "training steps to reach w* (default 4000; tms: 4500 epochs; grok 25000; not polynomial)")
        ->check(integer_in(1, 1000000000));
    app.add_option("--checkpoint", spec.checkpoint, "load w* from a safetensors checkpoint instead of training");
  }
}

Runner add_theory_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("theory", "print the exact learning coefficient λ and multiplicity m of a model");
  auto spec = std::make_shared<ProblemSpec>();
  auto params = std::make_shared<std::int64_t>(0);
  auto json_path = std::make_shared<std::string>();
  spec->model = "dln";
  add_model_flags(*cmd, *spec, false);
  cmd->add_option("--params", *params, "regular: number of parameters d")->check(integer_in(1, 1LL << 40));
  cmd->add_option("--json", *json_path,
                  "also write {\"lambda\", \"multiplicity\"} to this file (- for standard output)");
  // `--model regular` is accepted here only
  return [spec, params, json_path, cmd] {
    if (spec->model != "regular") check_flags_apply(*spec, given_flags(*cmd));
    check(spec->model == "regular" || cmd->count("--params") == 0, "lambdahat", "--params applies to --model regular only");
    if (!json_path->empty()) check_output_file(*json_path, "--json");
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
    std::fprintf(*json_path == "-" ? stderr : stdout, "lambda = %.10g\nmultiplicity = %lld\n", lc.lambda,
                 static_cast<long long>(lc.multiplicity));
    if (!json_path->empty())
      write_output(*json_path, nlohmann::json{{"lambda", lc.lambda}, {"multiplicity", lc.multiplicity}}.dump(2) + "\n");
    return 0;
  };
}


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
    std::string json, trace = "thinned", save_checkpoint, checkpoints, svg;
    bool strict = false;
    Shard shard;
  };
  auto o = std::make_shared<Options>();
  add_model_flags(*cmd, o->spec);
  cmd->add_option("--seed", o->spec.seed, "seed for data, initialisation and sampling")
      ->check(integer_in(0, std::numeric_limits<std::int64_t>::max()))->capture_default_str();
  add_sampler_flags(*cmd, o->sampler, SamplerFlagSet::estimate);
  cmd->add_option("--json", o->json,
                  "write the result as JSON to this file; - writes it to standard output and the summary to standard "
                  "error");
  cmd->add_option("--trace", o->trace, "the JSON's λ̂ trace: thinned (at most 1000 evenly spaced draws) or full")
      ->check(CLI::IsMember({"thinned", "full"}))
      ->capture_default_str();
  cmd->add_flag("--strict", o->strict, "exit 3 when the estimate comes with warnings");
  cmd->add_option("--save-checkpoint", o->save_checkpoint,
                  "save w* to this safetensors file, with the model flags and the seed in its metadata "
                  "(--checkpoint reads them back)");
  cmd->add_option("--checkpoints", o->checkpoints,
                  "estimate at every .safetensors checkpoint in this directory, in order of training step (the "
                  "metadata's step, or the number in the name): a table, --json and --svg");
  cmd->add_option("--svg", o->svg, "with --checkpoints: write λ̂ against the training step to this SVG file");
  add_shard_option(*cmd, o->shard,
                   "run only the chains c with c mod N = k and write their traces to --json; needs --epsilon, "
                   "--burnin and --draws; finish with lambdahat merge");
  return [o, cmd] {
    std::vector<TrainingCheckpoint> along;
    if (!o->checkpoints.empty()) {
      check(o->spec.checkpoint.empty(), "lambdahat", "--checkpoints and --checkpoint: give one or the other");
      check(!o->shard.active() && !cluster::distributed() && o->save_checkpoint.empty(), "lambdahat",
            "--checkpoints runs in one process, without --shard or --save-checkpoint");
      along = training_checkpoints(o->checkpoints);
      o->spec.checkpoint = along.front().path;  // the first one's record and checks stand for all
    }
    check(o->svg.empty() || !along.empty(), "lambdahat", "--svg goes with --checkpoints");
    if (!o->svg.empty()) check_writable_file(o->svg, "--svg");
    apply_checkpoint_record(*cmd, o->spec);
    SamplerConfig c = sampler_config(o->sampler, o->spec);
    check_before_work(*cmd, o->spec, o->sampler, c);
    if (!o->json.empty()) check_output_file(o->json, "--json");
    if (!o->save_checkpoint.empty()) check_writable_file(o->save_checkpoint, "--save-checkpoint");
    check(!o->shard.active() || o->json != "-", "lambdahat",
          "--shard writes its traces to a file: give --json FILE, not -");
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
    if (!along.empty())
      return estimate_along_training(o->spec, c, options, along, AlongTrainingOutput{.json = o->json, .svg = o->svg});
    const bool quiet = !cluster::is_writer();
    Problem problem = make_problem(o->spec, [quiet](const std::string& line) {
      if (!quiet) std::fprintf(stderr, "%s\n", line.c_str());
    });
    validate(c, problem.data.size());
    if (!o->sampler.max_steps)
      options.targets.max_steps_per_chain =
          default_max_steps(o->spec, c, problem.data.size(), options.targets.first_round_steps);
    if (!o->save_checkpoint.empty() && cluster::is_writer())
      save_checkpoint(*problem.model, o->save_checkpoint, checkpoint_metadata(o->spec));
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
    // with --json - the JSON alone goes to standard output
    FILE* out = o->json == "-" ? stderr : stdout;
    std::fprintf(out, "%s", summary(r, theory, problem.description, at_n).c_str());
    // an optional extra: its failure leaves the estimate standing
    std::optional<double> finite_n;
    try {
      finite_n = finite_n_target(o->spec, problem, r.config);
    } catch (const Error& e) {
      std::fprintf(out, "  exact finite-n target: unavailable (%s)\n", e.what());
    }
    if (finite_n && r.has_estimate())
      std::fprintf(out, "  exact finite-n target for this data set, nβ and γ: %.4g   (λ̂ / target = %.3f)\n",
                   *finite_n, r.mean / *finite_n);
    if (problem.eval_loss) std::fprintf(out, "  loss at w* on the evaluation set: %.6g\n", *problem.eval_loss);
    if (!o->json.empty()) {
      nlohmann::json j = to_json(r, theory, o->trace == "full" ? TraceDetail::full : TraceDetail::thinned);
      j["theory_at_n"] = at_n ? nlohmann::json(*at_n) : nlohmann::json(nullptr);
      j["finite_n_target"] = finite_n ? nlohmann::json(*finite_n) : nlohmann::json(nullptr);
      j["model"] = problem.description;
      j["train_loss"] = problem.train_loss;
      j["eval_loss"] = problem.eval_loss ? nlohmann::json(*problem.eval_loss) : nlohmann::json(nullptr);
      write_output(o->json, j.dump(2) + "\n");
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
  add_sampler_flags(*cmd, o->sampler, SamplerFlagSet::sweep);
  cmd->add_option("--epsilons", o->epsilons, "step sizes to try (default 1e-6 .. 1e-2, 9 values)")
      ->delimiter(',')->check(number_in(1e-12, 10));
  cmd->add_option("--gammas", o->gammas, "localization strengths to try")
      ->delimiter(',')->check(number_in(0, 1e12))->capture_default_str();
  cmd->add_option("--nbetas", o->nbetas, "inverse temperatures nβ to try (default: the model's)")
      ->delimiter(',')->check(number_in(0, 1e12, true));
  cmd->add_option("--json", o->json, "write the table and recommendation as JSON to this file (- for standard output)");
  cmd->add_option("--svg", o->svg, "write λ̂ against epsilon, one line per gamma, to this SVG file");
  return [o, cmd] {
    apply_checkpoint_record(*cmd, o->spec);
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
    if (!o->json.empty()) check_output_file(o->json, "--json");
    if (!o->svg.empty()) check_writable_file(o->svg, "--svg");
    Problem problem = make_problem(o->spec, [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
    validate(c, problem.data.size());
    const SweepResult sweep = sweep_step_size(*problem.model, problem.loss, problem.data, c, eps, o->gammas, o->nbetas);
    std::fprintf(o->json == "-" ? stderr : stdout, "%s",
                 sweep_table(sweep, problem.theory, problem.description).c_str());
    if (!o->json.empty()) write_output(o->json, to_json(sweep, problem.theory).dump(2) + "\n");
    if (!o->svg.empty()) write_text_atomically(o->svg, sweep_svg(sweep, problem.theory, problem.description));
    return sweep.recommended ? 0 : 1;
  };
}

}  // namespace lambdahat::cli
