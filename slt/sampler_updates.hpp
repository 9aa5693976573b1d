// What makes each sampler what it is: its move from w, given the gradient of the
// potential
//
//     U(w) = nβ L_B(w) + (γ/2)‖w − w*‖² + (λ/2)‖w‖²
//
// and a N(0, I) draw. The chain (slt/chain.hpp) computes ∇U once per step, for every
// sampler, and hands it to the sampler's move; MALA's accept/reject step is also the
// chain's, asked for by metropolis(). A new sampler is one class here, one line in
// make_update, and its name in SamplerKind (slt/sampler.hpp, slt/sampler.cpp).
// Only slt/chain.hpp includes this header.
#pragma once

#include <cmath>
#include <memory>

#include "slt/sampler.hpp"
#include "tensor/random.hpp"

namespace lambdahat::detail {

// One parameter tensor as the sampler sees it.
struct Slot {
  Variable param;
  Tensor anchor;            // w*
  Tensor noise;             // the step's N(0, I) draw, reused every step
  Tensor grad_u;            // ∇U at the current point, reused every step
  Tensor momentum;          // SGNHT
  Tensor saved_w, saved_g;  // MALA: the point and ∇U before the step
};

// A sampler's move of every slot from w to the next point.
class SamplerUpdate {
 public:
  virtual ~SamplerUpdate() = default;
  // Sets up what the sampler keeps per slot (SGNHT: the momentum), once per chain.
  virtual void init_slot(Slot& /*slot*/, Generator& /*noise*/) {}
  // Moves every slot's parameters; s.grad_u holds ∇U(w), s.noise a N(0, I) draw.
  virtual void move(std::vector<Slot>& slots, const SamplerConfig& c) = 0;
  // Whether the move is the Langevin proposal w − (ε/2)∇U + √ε ξ, whose MALA
  // acceptance is defined (SGLD checks it now and then; MALA at every step).
  virtual bool langevin_proposal() const = 0;
  // Whether each move is accepted or rejected by Metropolis–Hastings (MALA).
  virtual bool metropolis() const { return false; }
};

// w ← clamp(w) to [w* − b, w* + b] when a bounding box b > 0 is set.
template <class T>
void clamp_to_box(T* w, const T* w0, std::int64_t n, double box) {
  if (box <= 0) return;
  const T b = static_cast<T>(box);
  for (std::int64_t i = 0; i < n; ++i) w[i] = std::min(std::max(w[i], w0[i] - b), w0[i] + b);
}

// SGLD (Welling & Teh 2011):  Δw = −(ε/2) ∇U(w) + √ε σ ξ,  ξ ~ N(0, I).
class SgldUpdate : public SamplerUpdate {
 public:
  void move(std::vector<Slot>& slots, const SamplerConfig& c) override {
    for (auto& s : slots) {
      visit_floating(s.param.dtype(), "sampler", [&](auto tag) {
        using T = decltype(tag);
        T* w = s.param.value().data<T>();
        const T* grad_u = s.grad_u.data<T>();
        const T* z = s.noise.data<T>();
        const T half_eps = static_cast<T>(*c.epsilon / 2);
        const T scale = static_cast<T>(std::sqrt(*c.epsilon) * c.noise_level);
        const std::int64_t n = s.param.numel();
        for (std::int64_t i = 0; i < n; ++i) w[i] += -half_eps * grad_u[i] + scale * z[i];
        clamp_to_box<T>(w, s.anchor.data<T>(), n, c.bounding_box);
      });
    }
  }
  bool langevin_proposal() const override { return true; }
};

// MALA: SGLD's proposal on the full batch, kept with the Metropolis–Hastings
// probability (the chain computes it: docs/theory.md, "MALA"). Exact for any ε.
class MalaUpdate : public SgldUpdate {
 public:
  bool metropolis() const override { return true; }
};

// SGNHT (Ding et al. 2014), with momentum p and thermostat ξ over the d sampled
// coordinates:
//   p ← p − ξ p ε − ∇U(w) ε + √(2Aε) σ N(0, I);   w ← w + p ε;   ξ ← ξ + (pᵀp/d − 1) ε
class SgnhtUpdate : public SamplerUpdate {
 public:
  explicit SgnhtUpdate(const SamplerConfig& c) : xi_(c.diffusion) {}

  void init_slot(Slot& s, Generator& noise) override {
    s.momentum = Tensor::empty(s.param.shape(), s.param.dtype());
    normal_(s.momentum, noise);
  }

  void move(std::vector<Slot>& slots, const SamplerConfig& c) override {
    const double h = *c.epsilon;
    double pp = 0;
    std::int64_t dims = 0;
    for (auto& s : slots) {
      visit_floating(s.param.dtype(), "sampler", [&](auto tag) {
        using T = decltype(tag);
        const std::int64_t n = s.param.numel();
        T* w = s.param.value().data<T>();
        T* p = s.momentum.data<T>();
        const T* grad_u = s.grad_u.data<T>();
        const T* z = s.noise.data<T>();
        const T xi = static_cast<T>(xi_), th = static_cast<T>(h);
        const T kick = static_cast<T>(std::sqrt(2 * c.diffusion * h) * c.noise_level);
        for (std::int64_t i = 0; i < n; ++i) {
          p[i] += -xi * p[i] * th - grad_u[i] * th + kick * z[i];
          w[i] += p[i] * th;
          pp += static_cast<double>(p[i]) * p[i];
        }
        clamp_to_box<T>(w, s.anchor.data<T>(), n, c.bounding_box);
        dims += n;
      });
    }
    xi_ += (pp / static_cast<double>(dims) - 1) * h;
  }
  bool langevin_proposal() const override { return false; }

 private:
  double xi_;  // the thermostat, starting at A
};

// The sampler of each kind.
inline std::unique_ptr<SamplerUpdate> make_update(const SamplerConfig& c) {
  switch (c.kind) {
    case SamplerKind::sgld: return std::make_unique<SgldUpdate>();
    case SamplerKind::mala: return std::make_unique<MalaUpdate>();
    case SamplerKind::sgnht: return std::make_unique<SgnhtUpdate>(c);
  }
  throw Error("sampler: unknown sampler kind");
}

}  // namespace lambdahat::detail
