// lambdahat theory and lambdahat llc.
#include <cstdio>
#include <fstream>
#include <memory>

#include "commands.hpp"
#include "report.hpp"

namespace lambdahat::cli {

void add_model_flags(CLI::App& app, ProblemSpec& spec, bool with_training) {
  app.add_option("--model", spec.model, "polynomial, dln, rrr, autoencoder, tms or grok")->capture_default_str();
  app.add_option("--powers", spec.powers, "polynomial: powers k_i of f = x Π w_i^k_i")->delimiter(',')->capture_default_str();
  app.add_option("--widths", spec.widths, "dln/rrr: layer widths H_1,...,H_L+1 (rrr: M,H,N)")->delimiter(',')->capture_default_str();
  app.add_option("--rank", spec.rank, "dln/rrr: teacher rank r; autoencoder: data rank s")->capture_default_str();
  app.add_option("--dim", spec.dim, "autoencoder: input dimension d")->capture_default_str();
  app.add_option("--bottleneck", spec.bottleneck, "autoencoder: bottleneck h")->capture_default_str();
  app.add_flag("--relu", spec.relu, "autoencoder: ReLU between encoder and decoder");
  app.add_flag("--tied", spec.tied, "autoencoder: decoder = encoderᵀ");
  app.add_option("--features", spec.features, "tms: number of features")->capture_default_str();
  app.add_option("--hidden", spec.hidden, "tms: hidden dimensions")->capture_default_str();
  app.add_option("--p", spec.p, "grok: modulus")->capture_default_str();
  if (with_training) {
    app.add_option("--n", spec.n, "data set size (default per model)");
    app.add_option("--train-steps", spec.train_steps, "training steps (tms: epochs) to reach w* (default per model)");
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
  cmd->add_option("--params", *params, "regular: number of parameters d");
  cmd->add_option("--json", *json_path, "also write {\"lambda\", \"multiplicity\"} to this file");
  // `--model regular` is accepted here only
  return [spec, params, json_path] {
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

Runner add_llc_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("llc", "train a model to w* (or load it) and estimate its local learning coefficient");
  struct Options {
    ProblemSpec spec;
    std::string sampler = "sgld";
    std::int64_t chains = 0, draws = 0, burnin = -1, every = 0, batch = -1, mala_every = -1;
    double lr = 0, nbeta = 0, gamma = -1;
    int threads = 0;
    std::vector<std::string> sample_only;
    std::string json;
  };
  auto o = std::make_shared<Options>();
  add_model_flags(*cmd, o->spec);
  cmd->add_option("--seed", o->spec.seed, "seed for data, initialisation and sampling")->capture_default_str();
  cmd->add_option("--sampler", o->sampler, "sgld or sgnht")->capture_default_str();
  cmd->add_option("--chains", o->chains, "number of chains");
  cmd->add_option("--draws", o->draws, "draws per chain");
  cmd->add_option("--burnin", o->burnin, "burn-in steps per chain");
  cmd->add_option("--every", o->every, "steps between draws");
  cmd->add_option("--lr", o->lr, "step size epsilon");
  cmd->add_option("--nbeta", o->nbeta, "inverse temperature times n (default n/log n, or the model's setting)");
  cmd->add_option("--gamma", o->gamma, "localization strength");
  cmd->add_option("--batch", o->batch, "minibatch size (0: full batch)");
  cmd->add_option("--mala-every", o->mala_every, "MALA acceptance at every k-th draw (0: off)");
  cmd->add_option("--sample-only", o->sample_only, "sample only these parameters (restricted LLC)")->delimiter(',');
  cmd->add_option("--threads", o->threads, "threads for the chains (default: all)");
  cmd->add_option("--json", o->json, "write the result as JSON to this file");
  return [o] {
    if (o->threads > 0) set_num_threads(o->threads);
    Problem problem = make_problem(o->spec, [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
    SamplerConfig c = problem.sampler;
    check(o->sampler == "sgld" || o->sampler == "sgnht", "lambdahat", "--sampler must be sgld or sgnht, got ",
          o->sampler);
    c.kind = o->sampler == "sgld" ? SamplerKind::sgld : SamplerKind::sgnht;
    if (o->chains) c.num_chains = o->chains;
    if (o->draws) c.num_draws = o->draws;
    if (o->burnin >= 0) c.num_burnin_steps = o->burnin;
    if (o->every) c.num_steps_bw_draws = o->every;
    if (o->batch >= 0) c.batch_size = o->batch;
    if (o->mala_every >= 0) c.mala_every = o->mala_every;
    if (o->lr != 0) {
      check(o->lr > 0, "lambdahat", "--lr (epsilon) must be > 0, got ", o->lr);
      c.epsilon = o->lr;
    }
    if (o->nbeta != 0) {
      check(o->nbeta > 0, "lambdahat", "--nbeta must be > 0, got ", o->nbeta);
      c.nbeta = o->nbeta;
    }
    if (o->gamma >= 0) c.localization = o->gamma;
    c.sample_only = o->sample_only;
    c.threads = o->threads;
    validate(c, problem.data.size());
    std::unique_ptr<Progress> bar;
    const LLCResult r = estimate_llc(*problem.model, problem.loss, problem.data, c, {},
                                     [&](std::int64_t done, std::int64_t total) {
                                       if (!bar) bar = std::make_unique<Progress>("sampling", total);
                                       bar->update(done);
                                     });
    if (bar) bar->finish();
    std::printf("%s", summary(r, problem.theory, problem.description).c_str());
    const std::optional<double> finite_n = finite_n_target(o->spec, problem, c);
    if (finite_n)
      std::printf("  exact finite-n target for this data set, nβ and γ: %.4g   (λ̂ / target = %.3f)\n", *finite_n,
                  r.mean / *finite_n);
    if (!o->json.empty()) {
      nlohmann::json j = to_json(r, problem.theory);
      j["finite_n_target"] = finite_n ? nlohmann::json(*finite_n) : nlohmann::json(nullptr);
      j["model"] = problem.description;
      j["train_loss"] = problem.train_loss;
      write_text_atomically(o->json, j.dump(2) + "\n");
    }
    return 0;
  };
}

}  // namespace lambdahat::cli
