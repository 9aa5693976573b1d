#include "slt/sampler.hpp"

#include <atomic>
#include <cmath>
#include <exception>
#include <limits>

#include "slt/chain.hpp"

namespace lambdahat {

LossFn cross_entropy_loss() {
  return [](Module& model, const Batch& batch) { return cross_entropy(model(Variable(batch.inputs)), batch.targets); };
}

LossFn mse_loss_fn() {
  return [](Module& model, const Batch& batch) {
    return mse_loss(model(Variable(batch.inputs)), Variable(batch.targets));
  };
}

LossFn sum_of_squares_loss() {
  return [](Module& model, const Batch& batch) {
    const Variable diff = sub(model(Variable(batch.inputs)), Variable(batch.targets));
    return mul(sum(square(diff)), 0.5 / static_cast<double>(batch.inputs.size(0)));
  };
}

LossFn loss_named(const std::string& name) {
  if (name == "ce") return cross_entropy_loss();
  if (name == "mse") return mse_loss_fn();
  if (name == "sse") return sum_of_squares_loss();
  fail("loss", "unknown loss ", name, " (ce, mse or sse)");
}

namespace {
// The samplers by name; each one's move is in slt/sampler_updates.hpp.
struct SamplerName {
  SamplerKind kind;
  const char* name;
};
constexpr SamplerName kSamplerNames[] = {
    {SamplerKind::sgld, "sgld"}, {SamplerKind::sgnht, "sgnht"}, {SamplerKind::mala, "mala"}};
}  // namespace

const char* to_string(SamplerKind kind) {
  for (const auto& s : kSamplerNames)
    if (s.kind == kind) return s.name;
  return "?";
}

SamplerKind parse_sampler_kind(const std::string& name) {
  std::string names;
  for (const auto& s : kSamplerNames) {
    if (name == s.name) return s.kind;
    names += names.empty() ? s.name : std::string(", ") + s.name;
  }
  throw Error("sampler: unknown sampler " + name + " (one of " + names + ")");
}

void validate(const SamplerConfig& c, std::int64_t n) {
  check(n > 0, "sampler", "the data set is empty");
  check(!c.epsilon || (*c.epsilon > 0 && std::isfinite(*c.epsilon)), "sampler", "step size epsilon must be > 0, got ",
        c.epsilon.value_or(0));
  check(c.nbeta >= 0 && std::isfinite(c.nbeta), "sampler", "nbeta must be > 0 (or 0 for the default n/log n), got ",
        c.nbeta);
  check(c.localization >= 0, "sampler", "localization gamma must be >= 0, got ", c.localization);
  check(c.weight_decay >= 0, "sampler", "weight decay must be >= 0, got ", c.weight_decay);
  check(c.noise_level >= 0, "sampler", "noise level must be >= 0, got ", c.noise_level);
  check(c.bounding_box >= 0, "sampler", "bounding box must be >= 0, got ", c.bounding_box);
  check(c.diffusion > 0, "sampler", "SGNHT diffusion must be > 0, got ", c.diffusion);
  check(c.num_chains >= 1, "sampler", "num_chains must be >= 1, got ", c.num_chains);
  check(!c.num_draws || *c.num_draws >= 1, "sampler", "num_draws must be >= 1, got ", c.num_draws.value_or(0));
  check(!c.num_burnin_steps || *c.num_burnin_steps >= 0, "sampler", "num_burnin_steps must be >= 0, got ",
        c.num_burnin_steps.value_or(0));
  check(c.kind != SamplerKind::mala || c.batch_size == 0 || c.batch_size >= n, "sampler",
        "MALA needs the full batch (batch size 0), got batch size ", c.batch_size);
  check(c.num_steps_bw_draws >= 1, "sampler", "num_steps_bw_draws must be >= 1, got ", c.num_steps_bw_draws);
  check(c.batch_size >= 0, "sampler", "batch size must be >= 0 (0: full batch), got ", c.batch_size);
  check(c.mala_every >= 0, "sampler", "mala_every must be >= 0, got ", c.mala_every);
  check(c.threads >= 0, "sampler", "threads must be >= 0, got ", c.threads);
  // a chain's steps, burn-in + draws × steps between draws, must be countable
  constexpr std::int64_t kMaxSteps = std::int64_t{1} << 53;
  const std::int64_t burnin = c.num_burnin_steps.value_or(0);
  check(burnin <= kMaxSteps && (!c.num_draws || *c.num_draws <= (kMaxSteps - burnin) / c.num_steps_bw_draws),
        "sampler", "burn-in ", burnin, " + draws ", c.num_draws.value_or(0), " × ", c.num_steps_bw_draws,
        " steps between draws exceeds 2^53 steps per chain");
}

double resolve_nbeta(const SamplerConfig& c, std::int64_t n) {
  if (c.nbeta > 0) return c.nbeta;
  const std::int64_t m = c.nbeta_from_batch_size && c.batch_size > 0 ? std::min(c.batch_size, n) : n;
  // n / log n, the standard inverse temperature β* = 1/log n times n
  check(m >= 2, "sampler", "the default nbeta = n/log n needs n >= 2, got ", m);
  return static_cast<double>(m) / std::log(static_cast<double>(m));
}

double full_data_loss(Module& model, const LossFn& loss, const Dataset& data) {
  NoGradGuard no_grad;
  constexpr std::int64_t kChunk = 8192;
  const std::int64_t n = data.size();
  if (n <= kChunk) return loss(model, data.all()).item();
  double total = 0;
  for (std::int64_t start = 0; start < n; start += kChunk) {
    const std::int64_t len = std::min(kChunk, n - start);
    const Batch b{data.inputs().narrow(0, start, len), data.targets().narrow(0, start, len)};
    total += loss(model, b).item() * static_cast<double>(len);
  }
  return total / static_cast<double>(n);
}


namespace {
// The engine runs only fully specified configurations.
void require_resolved(const SamplerConfig& c, std::int64_t n) {
  validate(c, n);
  check(c.epsilon.has_value(), "sampler", "the step size epsilon is unset: set it, or let estimate_llc calibrate it");
  check(c.num_draws.has_value(), "sampler", "num_draws is unset: set it, or let estimate_llc choose it");
  check(c.num_burnin_steps.has_value(), "sampler", "num_burnin_steps is unset: set it, or let estimate_llc choose it");
}
}  // namespace

ChainSet::ChainSet(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& config,
                   ChainSharing sharing)
    : model_(model),
      loss_(loss),
      data_(data),
      config_(config),
      sharing_(std::move(sharing)),
      nbeta_(resolve_nbeta(config, data.size())) {
  validate(config, data.size());
  chains_.resize(static_cast<std::size_t>(config.num_chains));
  traces_.resize(static_cast<std::size_t>(config.num_chains));
}

ChainSet::~ChainSet() = default;

void ChainSet::run(const ProgressFn& progress) {
  require_resolved(config_, data_.size());
  check(config_.num_chains == static_cast<std::int64_t>(chains_.size()), "sampler",
        "the number of chains of a ChainSet cannot change");
  const std::int64_t chains = config_.num_chains;
  const auto mine = [&](std::int64_t c) { return !sharing_.active() || sharing_.owns(c); };
  std::int64_t own = 0;
  for (std::int64_t c = 0; c < chains; ++c) own += mine(c);
  const std::int64_t steps_per_chain = *config_.num_burnin_steps + *config_.num_draws * config_.num_steps_bw_draws;
  const std::int64_t total = own * steps_per_chain;
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(chains));
  std::atomic<std::int64_t> done{0};
  const int threads = static_cast<int>(std::min<std::int64_t>(config_.threads > 0 ? config_.threads : num_threads(), chains));
  // Each chain runs on one thread at a time (built there, on first use, so its
  // memory is that thread's); kernels inside it stay single-threaded (parallel_for
  // sees the enclosing region). The first thread also reports progress.
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
  {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1) nowait
#endif
    for (std::int64_t c = 0; c < chains; ++c) {
      const auto i = static_cast<std::size_t>(c);
      if (!mine(c)) continue;
      try {
        if (!chains_[i]) chains_[i] = std::make_unique<detail::Chain>(model_, loss_, data_, config_, nbeta_, c);
        chains_[i]->run(traces_[i], done, progress, total);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  if (sharing_.active()) sharing_.share(traces_);
  if (progress) progress(total, total);
}

std::vector<ChainTrace> run_chains(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& config,
                                   const ProgressFn& progress) {
  ChainSet set(model, loss, data, config);  // checks the config; run() checks that it is fully set
  set.run(progress);
  return set.traces();
}

std::vector<CoupledMeans> step_halving_means(Module& model, const LossFn& loss, const Dataset& data,
                                             const SamplerConfig& config, std::int64_t steps) {
  validate(config, data.size());
  check(config.epsilon.has_value() && config.kind == SamplerKind::sgld, "step_halving_means",
        "needs SGLD with a step size");
  check(steps >= 2, "step_halving_means", "needs at least 2 steps, got ", steps);
  SamplerConfig coarse_config = config, fine_config = config;
  fine_config.epsilon = *config.epsilon / 2;
  coarse_config.mala_every = fine_config.mala_every = 0;
  const double nbeta = resolve_nbeta(config, data.size());
  std::vector<CoupledMeans> means(static_cast<std::size_t>(config.num_chains));
  std::vector<std::exception_ptr> errors(means.size());
  const int threads = static_cast<int>(std::min<std::int64_t>(config.threads > 0 ? config.threads : num_threads(), config.num_chains));
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
#endif
  for (std::int64_t c = 0; c < config.num_chains; ++c) {
    try {
      detail::Chain coarse(model, loss, data, coarse_config, nbeta, c), fine(model, loss, data, fine_config, nbeta, c);
      Tensor summed;
      double coarse_sum = 0, fine_sum = 0;
      std::int64_t counted = 0;
      std::vector<double> difference;
      for (std::int64_t s = 0; s < steps; ++s) {
        const Batch batch = fine.next_batch();
        const double fine_loss = fine.step_with_noise(batch, nullptr);
        check(fine.last_noise().defined(), "step_halving_means", "needs parameters of one dtype");
        if (!summed.defined()) summed = Tensor::empty(fine.last_noise().shape(), fine.last_noise().dtype());
        summed.copy_(fine.last_noise());
        const double fine_loss_2 = fine.step_with_noise(batch, nullptr);
        add_(summed, fine.last_noise());
        mul_(summed, 1 / std::sqrt(2.0));
        const double coarse_loss = coarse.step_with_noise(batch, &summed);
        if (!std::isfinite(coarse_loss) || !std::isfinite(fine_loss) || !std::isfinite(fine_loss_2)) {
          counted = 0;
          break;
        }
        if (2 * s >= steps) {
          coarse_sum += coarse_loss;
          fine_sum += (fine_loss + fine_loss_2) / 2;
          difference.push_back(coarse_loss - (fine_loss + fine_loss_2) / 2);
          ++counted;
        }
      }
      const double nan = std::numeric_limits<double>::quiet_NaN(), k = static_cast<double>(counted);
      means[static_cast<std::size_t>(c)] =
          counted ? CoupledMeans{coarse_sum / k, fine_sum / k, std::move(difference)} : CoupledMeans{nan, nan, {}};
    } catch (...) {
      errors[static_cast<std::size_t>(c)] = std::current_exception();
    }
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return means;
}

}  // namespace lambdahat
