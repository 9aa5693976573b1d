// The command's problems, made through the model-family registry (families.hpp).
#include "problems.hpp"

#include <algorithm>
#include <cmath>

#include "families.hpp"

namespace lambdahat::cli {

std::int64_t rank_of(const ProblemSpec& s) { return s.rank.value_or(s.model == "autoencoder" ? 2 : 0); }

namespace {

// The spec's family, after its checks.
const Family& checked(const ProblemSpec& s) {
  const Family& f = family(s.model);
  check_n_and_steps(s);
  check(s.kgon == 0 || s.model == "tms", "lambdahat", "--kgon applies to --model tms only");
  f.validate(s);
  return f;
}

std::string families_with(const std::string& flag) {
  std::string names;
  for (const Family& f : families())
    if (std::find(f.flags.begin(), f.flags.end(), flag) != f.flags.end())
      names += (names.empty() ? "" : ", ") + f.name;
  return names;
}

}  // namespace

void check_flags_apply(const ProblemSpec& s, const std::vector<std::string>& given) {
  const Family& f = family(s.model);
  check(s.network.empty() || std::find(given.begin(), given.end(), "--model") == given.end(), "lambdahat",
        "--network describes the model: leave --model out");
  // the model flags: those some family lists
  for (const std::string& flag : given) {
    const std::string with = families_with(flag);
    if (!with.empty() && std::find(f.flags.begin(), f.flags.end(), flag) == f.flags.end())
      fail("lambdahat", flag, " does not apply to --model ", s.model, " (it applies to ", with, ")");
  }
}

double estimated_bytes(const ProblemSpec& s, std::int64_t chains) {
  const Footprint fp = checked(s).footprint(s);
  // per chain: parameters, gradient, the sampler's state and w*
  const long double total = fp.data + fp.activations + static_cast<long double>(chains) * fp.params * 8 * 4;
  return static_cast<double>(total);
}

std::int64_t default_max_steps(const ProblemSpec& s, const SamplerConfig& c, std::int64_t data_size,
                               std::int64_t floor) {
  constexpr long double kBudgetMacs = 1e13L, kDefault = 200000;
  const long double batch = static_cast<long double>(c.batch_size > 0 ? std::min(c.batch_size, data_size) : data_size);
  const long double step_macs = 3 * batch * std::max(1.0L, checked(s).footprint(s).params);
  const long double steps = kBudgetMacs / (static_cast<long double>(std::max<std::int64_t>(1, c.num_chains)) * step_macs);
  return static_cast<std::int64_t>(std::max(static_cast<long double>(floor), std::min(kDefault, std::floor(steps))));
}

SamplerConfig default_sampler(const ProblemSpec& s) {
  const Family& f = checked(s);
  // The step size, the draws and the burn-in stay unset: estimate_llc calibrates them
  // for the model at hand (slt/calibration.hpp). nβ = n / log n and γ = 1 are the
  // library's defaults (docs/theory.md, "Choosing nβ and γ"), unless the family hints.
  SamplerConfig c;
  c.seed = s.seed;
  if (f.default_batch) c.batch_size = f.default_batch(s);
  if (f.sampler_hints) f.sampler_hints(c);
  return c;
}

SamplerConfig seed_study_sampler(const ProblemSpec& s) {
  const Family& f = checked(s);
  std::string with;
  for (const Family& g : families())
    if (g.seed_study) with += (with.empty() ? "" : " and ") + g.name;
  check(static_cast<bool>(f.seed_study), "lambdahat", "--preset seed-study applies to --model ", with, ", not ",
        s.model);
  SamplerConfig c;
  c.seed = s.seed;
  c.num_burnin_steps = 0;
  c.mala_every = 10;
  f.seed_study(c);
  return c;
}

std::optional<LearningCoefficient> theory_for(const ProblemSpec& s) { return checked(s).theory(s); }

std::optional<double> finite_n_target(const ProblemSpec& s, const Problem& pr, const SamplerConfig& c) {
  const Family& f = family(s.model);
  return f.finite_n ? f.finite_n(s, pr, c) : std::nullopt;
}

Problem make_problem(const ProblemSpec& s, const std::function<void(const std::string&)>& log) {
  const Family& f = checked(s);
  const Log say = [&](const std::string& line) {
    if (log) log(line);
  };
  Problem pr;
  pr.family = f.reported_as;
  pr.theory = f.theory(s);
  pr.sampler = default_sampler(s);
  Generator init(s.seed, 1);
  const bool load = !s.checkpoint.empty();
  Made made = f.make(s, init, !load, say);
  pr.model = std::move(made.model);
  pr.data = std::move(made.data);
  pr.loss = std::move(made.loss);
  pr.description = std::move(made.description);
  if (load) {
    say("loading w* from " + s.checkpoint);
    load_checkpoint(*pr.model, s.checkpoint);
  }
  pr.train_loss = full_data_loss(*pr.model, pr.loss, pr.data);
  if (made.eval.size() > 0) pr.eval_loss = full_data_loss(*pr.model, pr.loss, made.eval);
  check(std::isfinite(pr.train_loss), "lambdahat", "the loss at w* is ", pr.train_loss);
  return pr;
}

}  // namespace lambdahat::cli
