#include "sampler_flags.hpp"

#include <cstdio>

namespace lambdahat::cli {

std::vector<std::string> given_flags(const CLI::App& app) {
  std::vector<std::string> given;
  for (const CLI::Option* opt : app.get_options())
    if (opt->count() > 0 && !opt->get_lnames().empty()) given.push_back("--" + opt->get_lnames().front());
  return given;
}

void add_sampler_flags(CLI::App& cmd, SamplerFlags& f, SamplerFlagSet set) {
  const bool sweep = set == SamplerFlagSet::sweep;
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
    cmd.add_option("--max-steps", f.max_steps, "the calibration's budget of steps per chain (default 200000, less for large problems: "
                   "about 1e13 multiply-adds over all chains)")
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
  return c;
}

void check_before_work(const CLI::App& cmd, const ProblemSpec& spec, const SamplerFlags& f, const SamplerConfig& c) {
  check_flags_apply(spec, given_flags(cmd));
  if (!spec.checkpoint.empty()) check_readable_file(spec.checkpoint, "--checkpoint");
  check_memory(estimated_bytes(spec, c.num_chains), f.max_memory, "--model " + spec.model + " at these sizes");
  if (f.threads) set_num_threads(effective_threads(*f.threads, c.num_chains));
  check_sample_only(spec, c.sample_only);
}

void apply_checkpoint_record(const CLI::App& cmd, ProblemSpec& spec) {
  if (spec.checkpoint.empty()) return;
  check_readable_file(spec.checkpoint, "--checkpoint");
  for (const std::string& warning : apply_checkpoint_metadata(spec, given_flags(cmd)))
    std::fprintf(stderr, "warning: %s\n", warning.c_str());
}


}  // namespace lambdahat::cli
