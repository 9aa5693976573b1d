// One chain of the sampler (sampler.hpp): its own copy of the model at w*, its own
// random streams derived from (seed, chain index), and one step: the loss and ∇U at
// the current point, the sampler's move (slt/sampler_updates.hpp), and MALA's
// acceptance where it is asked for. Only slt/sampler.cpp includes this header; users
// run chains through run_chains or ChainSet.
#pragma once

#include <atomic>
#include <cmath>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "slt/sampler.hpp"
#include "slt/sampler_updates.hpp"
#include "tensor/parallel.hpp"
#include "tensor/random.hpp"

namespace lambdahat::detail {

// The chain's own copy of a small data set. Chains on different threads that read
// one shared tensor would all count references to its storage, one cache line that
// every step of every chain writes.
// A chain that reads the full batch at every step gets it in the layout its model
// reads fastest (Module::arrange_data; dln_sgld: two transposing copies fewer per
// step).
inline Dataset chain_copy(const Dataset& data, const Module& model, bool full_batch) {
  constexpr std::size_t kCopyBytes = 16 << 20;
  const Tensor& x = data.inputs();
  const Tensor& y = data.targets();
  const auto bytes = [](const Tensor& t) { return static_cast<std::size_t>(t.numel()) * itemsize(t.dtype()); };
  if (bytes(x) + bytes(y) > kCopyBytes) return data;
  const Tensor x_copy = x.clone();
  const bool same = y.storage() == x.storage() && y.offset() == x.offset() && y.shape() == x.shape() &&
                    y.strides() == x.strides() && y.dtype() == x.dtype();
  const Tensor y_copy = same ? x_copy : y.clone();
  if (!full_batch) return Dataset(x_copy, y_copy);
  const auto [x_arranged, y_arranged] = model.arrange_data(x_copy, y_copy);
  return Dataset(x_arranged, y_arranged);
}

inline bool uses_full_batch(const SamplerConfig& c, const Dataset& data) {
  return c.batch_size == 0 || c.batch_size >= data.size();
}

// A chain: its own model copy, random streams and buffers.
class Chain {
 public:
  Chain(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& config, double nbeta,
        std::int64_t index)
      : model_(model.clone()),
        loss_(loss),
        own_data_(chain_copy(data, *model_, uses_full_batch(config, data))),
        data_(own_data_),
        c_(config),
        nbeta_(nbeta),
        index_(index),
        noise_(Generator(config.seed, static_cast<std::uint64_t>(index)).derive(1)),
        update_(make_update(config)),
        accept_(Generator(config.seed, static_cast<std::uint64_t>(index)).derive(3)) {
    const std::set<std::string> only(config.sample_only.begin(), config.sample_only.end());
    std::set<std::string> wanted = only;  // names not found yet
    for (auto& [name, p] : model_->named_parameters()) {
      const bool sampled = only.empty() || only.count(name) > 0;
      wanted.erase(name);
      if (!sampled) {
        p.set_requires_grad(false);
        continue;
      }
      Slot s;
      s.param = p;
      s.anchor = p.value().clone();
      s.noise = Tensor::empty(p.shape(), p.dtype());
      s.grad_u = Tensor::empty(p.shape(), p.dtype());
      update_->init_slot(s, noise_);
      dims_ += p.numel();
      slots_.push_back(std::move(s));
    }
    check(wanted.empty(), "sampler", "no parameter named ", wanted.empty() ? "" : *wanted.begin(), " in ",
          model.type_name());
    check(!slots_.empty(), "sampler", "there are no parameters to sample");
    // One draw per step for all the noise when the parameters share a dtype: each
    // slot's noise is a view of one buffer (a generator call per tensor cost as much
    // as the draws themselves on small models).
    bool one_dtype = true;
    for (const auto& s : slots_) one_dtype &= s.param.dtype() == slots_.front().param.dtype();
    if (one_dtype) {
      all_noise_ = Tensor::empty({dims_}, slots_.front().param.dtype());
      std::int64_t at = 0;
      for (auto& s : slots_) {
        s.noise = all_noise_.narrow(0, at, s.param.numel()).view(s.param.shape());
        at += s.param.numel();
      }
    }
    if (!uses_full_batch(config, data)) {
      Generator seeds = Generator(config.seed, static_cast<std::uint64_t>(index)).derive(2);
      loader_.emplace(data, LoaderOptions{.batch_size = config.batch_size, .seed = seeds.next_u64()});
    }
  }

  // Runs the chain on until it has taken config.num_burnin_steps + config.num_draws ·
  // config.num_steps_bw_draws steps in all, appending to `trace`: a chain can be run
  // further after its config asks for more draws. `progress` is called now and then
  // with the steps done by all chains, from the calling thread (OpenMP thread 0) only.
  void run(ChainTrace& trace, std::atomic<std::int64_t>& done, const ProgressFn& progress, std::int64_t all_steps) {
#ifdef _OPENMP
    const bool reporter = omp_get_thread_num() == 0;
#else
    const bool reporter = true;
#endif
    const std::int64_t total = *c_.num_burnin_steps + *c_.num_draws * c_.num_steps_bw_draws;
    std::int64_t unreported = 0;
    for (; step_ < total && !trace.diverged; ++step_) {
      const std::int64_t s = step_;
      const Batch batch = next_batch();
      const std::int64_t since = s - *c_.num_burnin_steps;
      const bool is_draw = since >= 0 && since % c_.num_steps_bw_draws == 0;
      const std::int64_t draw = is_draw ? since / c_.num_steps_bw_draws : -1;
      // MALA computes its acceptance at every step; SGLD's is a check now and then
      const bool check_mala = update_->metropolis() || (update_->langevin_proposal() && is_draw &&
                                                        c_.mala_every > 0 && draw % c_.mala_every == 0);
      double draw_loss = 0;
      if (is_draw && c_.full_data_draw_loss) draw_loss = full_data_loss(*model_, loss_, data_);
      double acceptance = 0;
      const double batch_loss = step(batch, check_mala, acceptance);
      if (is_draw && !c_.full_data_draw_loss) draw_loss = batch_loss;
      const double bad = !std::isfinite(batch_loss) ? batch_loss : draw_loss;
      if (!std::isfinite(batch_loss) || (is_draw && !std::isfinite(draw_loss))) {
        std::ostringstream os;
        const std::int64_t at = is_draw ? draw : std::max<std::int64_t>(0, since / c_.num_steps_bw_draws + 1);
        os << "chain " << index_ << " diverged: the loss became " << bad << " at step " << s;
        if (since >= 0) os << " (draw " << at << ")";
        else os << " (during burn-in)";
        trace.diverged = true;
        trace.diverged_at_draw = since >= 0 ? at : 0;
        trace.divergence = os.str();
        break;
      }
      if (is_draw) trace.losses.push_back(draw_loss);
      if (check_mala) {
        mala_sum_ += acceptance;
        ++trace.mala_checks;
      }
      // the shared count is updated every 64 steps: one cache line written by every
      // thread at every step would travel between the cores
      if (++unreported == 64) {
        const std::int64_t now = done.fetch_add(unreported, std::memory_order_relaxed) + unreported;
        unreported = 0;
        if (progress && reporter) progress(now, all_steps);
      }
    }
    done.fetch_add(unreported, std::memory_order_relaxed);
    trace.mala_acceptance = trace.mala_checks ? mala_sum_ / static_cast<double>(trace.mala_checks) : 0;
  }

  // The next batch: the full data set, or the chain's next minibatch.
  Batch next_batch() { return loader_ ? loader_->next() : data_.all(); }

  // One update on `batch`; returns the loss at the point before it. With `noise` the
  // update uses that N(0, I) draw instead of the chain's own (coupled chains).
  double step_with_noise(const Batch& batch, const Tensor* noise) {
    external_noise_ = noise;
    double unused = 0;
    const double loss = step(batch, false, unused);
    external_noise_ = nullptr;
    return loss;
  }

  // The N(0, I) draw of the last update, all parameters in one vector (undefined when
  // the parameters have different dtypes).
  const Tensor& last_noise() const { return all_noise_; }

 private:
  // Loss at the current point on `batch`, with gradients in the parameters.
  double loss_and_gradient(const Batch& batch) {
    for (auto& s : slots_) s.param.zero_grad();
    const Variable loss = loss_(*model_, batch);
    const double value = loss.item();
    if (std::isfinite(value)) loss.backward();
    return value;
  }

  // The potential U(w) = nβ L + (γ/2)‖w − w*‖² + (λ/2)‖w‖² (sampled coordinates).
  double potential(double loss) const {
    double prior = 0;
    for (const auto& s : slots_) {
      visit_floating(s.param.dtype(), "sampler", [&](auto tag) {
        using T = decltype(tag);
        const T* w = s.param.value().data<T>();
        const T* w0 = s.anchor.data<T>();
        for (std::int64_t i = 0; i < s.param.numel(); ++i) {
          const double d = static_cast<double>(w[i]) - static_cast<double>(w0[i]);
          prior += 0.5 * c_.localization * d * d + 0.5 * c_.weight_decay * static_cast<double>(w[i]) * w[i];
        }
      });
    }
    return nbeta_ * loss + prior;
  }

  // ∇U = nβ ∇L + γ (w − w*) + λ w into every slot's grad_u, from the gradients
  // loss_and_gradient left in the parameters (zero for a parameter the loss does not
  // reach).
  void potential_gradient() {
    const double nbeta = nbeta_;
    for (auto& s : slots_) {
      if (!s.param.grad().defined()) s.param.grad() = zeros_like(s.param.value());
      const Tensor g = s.param.grad().contiguous();
      visit_floating(s.param.dtype(), "sampler", [&](auto tag) {
        using T = decltype(tag);
        const T* w = s.param.value().data<T>();
        const T* w0 = s.anchor.data<T>();
        const T* gp = g.data<T>();
        T* out = s.grad_u.data<T>();
        const T nb = static_cast<T>(nbeta), gamma = static_cast<T>(c_.localization);
        const T wd = static_cast<T>(c_.weight_decay);
        for (std::int64_t i = 0; i < s.param.numel(); ++i) out[i] = nb * gp[i] + gamma * (w[i] - w0[i]) + wd * w[i];
      });
    }
  }

  double step(const Batch& batch, bool check_mala, double& acceptance) {
    const double loss = loss_and_gradient(batch);
    if (!std::isfinite(loss)) return loss;
    potential_gradient();
    double u_before = 0;
    if (check_mala) {
      u_before = potential(loss);
      for (auto& s : slots_) {
        if (!s.saved_w.defined()) {
          s.saved_w = Tensor::empty(s.param.shape(), s.param.dtype());
          s.saved_g = Tensor::empty(s.param.shape(), s.param.dtype());
        }
        s.saved_w.copy_(s.param.value());
        s.saved_g.copy_(s.grad_u);
      }
    }
    draw_noise();
    update_->move(slots_, c_);
    if (check_mala) acceptance = mala_acceptance(batch, u_before);
    // MALA keeps the proposal with probability α, else returns to the point before it
    if (update_->metropolis() && !(accept_.uniform() < acceptance))
      for (auto& s : slots_) s.param.value().copy_(s.saved_w);
    return loss;
  }

  // N(0, I) into every slot's noise buffer.
  void draw_noise() {
    if (external_noise_) {
      all_noise_.copy_(*external_noise_);
      return;
    }
    if (all_noise_.defined()) {
      normal_(all_noise_, noise_);
      return;
    }
    for (auto& s : slots_) normal_(s.noise, noise_);
  }

  // MALA acceptance of the step just taken (docs/theory.md, "MALA"):
  //   log α = −U(w') + U(w) + log q(w | w') − log q(w' | w),
  //   log q(b | a) = −‖b − a + (ε/2) ∇U(a)‖² / (2ε)
  // U(w') and ∇U(w') come from one more evaluation on the same batch.
  double mala_acceptance(const Batch& batch, double u_before) {
    const double loss_after = loss_and_gradient(batch);
    if (!std::isfinite(loss_after)) return 0;
    const double u_after = potential(loss_after);
    potential_gradient();  // ∇U(w') into grad_u
    const double half_eps = *c_.epsilon / 2;
    double forward = 0, backward = 0;  // the two squared norms
    for (auto& s : slots_) {
      visit_floating(s.param.dtype(), "sampler", [&](auto tag) {
        using T = decltype(tag);
        const std::int64_t n = s.param.numel();
        const T* g_after = s.grad_u.data<T>();
        const T* w_new = s.param.value().data<T>();
        const T* w_old = s.saved_w.data<T>();
        const T* g_old = s.saved_g.data<T>();
        for (std::int64_t i = 0; i < n; ++i) {
          const double f = static_cast<double>(w_new[i]) - w_old[i] + half_eps * g_old[i];    // w' − w + (ε/2) ∇U(w)
          const double b = static_cast<double>(w_old[i]) - w_new[i] + half_eps * g_after[i];  // w − w' + (ε/2) ∇U(w')
          forward += f * f;
          backward += b * b;
        }
      });
    }
    const double log_alpha = -u_after + u_before - backward / (2 * *c_.epsilon) + forward / (2 * *c_.epsilon);
    return log_alpha >= 0 ? 1.0 : std::exp(log_alpha);
  }

  std::unique_ptr<Module> model_;
  const LossFn& loss_;
  Dataset own_data_;
  const Dataset& data_;
  const SamplerConfig& c_;
  double nbeta_;
  std::int64_t index_;
  Generator noise_;
  std::optional<DataLoader> loader_;
  std::unique_ptr<SamplerUpdate> update_;
  std::vector<Slot> slots_;
  Tensor all_noise_;  // the noise of every slot, when they share a dtype
  std::int64_t dims_ = 0;
  Generator accept_;                        // MALA's accept/reject draws
  std::int64_t step_ = 0;                   // steps taken so far
  double mala_sum_ = 0;                     // acceptance probabilities summed over the checks
  const Tensor* external_noise_ = nullptr;  // set during step_with_noise
};


}  // namespace lambdahat::detail
