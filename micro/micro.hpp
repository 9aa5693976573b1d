// micro: the whole idea of lambdahat in one file, with nothing but the standard
// library. Read it before the real thing; every piece here has a full-size
// counterpart (named in the comments) that is faster, more general and tested more,
// but not different in kind.
//
//   1. Scalar reverse-mode automatic differentiation (autograd/).
//   2. SGLD on the localized, tempered posterior (slt/sampler.hpp, slt/chain.hpp).
//   3. The local learning coefficient of a polynomial regressor (slt/llc.hpp), whose
//      exact value theory gives (slt/theory.hpp).
//
// tests/micro/test_micro.cpp checks that it agrees with the library and with theory.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <unordered_set>
#include <vector>

namespace micro {

// ---- 1. Reverse-mode autodiff on scalars -----------------------------------------
//
// Every Value remembers the Values it was computed from and the local derivative
// with respect to each: for c = a·b, ∂c/∂a = b and ∂c/∂b = a. backward() visits the
// graph from the output back to the inputs, so that each node is reached after every
// node that uses it, and applies the chain rule: a parent's gradient gains the
// child's gradient times the local derivative.

struct Node {
  double value = 0;
  double grad = 0;
  std::vector<std::pair<std::shared_ptr<Node>, double>> parents;  // (input, ∂this/∂input)
};

class Value {
 public:
  Value(double v = 0) : node_(std::make_shared<Node>()) { node_->value = v; }  // NOLINT: numbers convert
  double value() const { return node_->value; }
  double grad() const { return node_->grad; }

  friend Value operator+(const Value& a, const Value& b) { return make(a.value() + b.value(), {{a, 1.0}, {b, 1.0}}); }
  friend Value operator-(const Value& a, const Value& b) { return make(a.value() - b.value(), {{a, 1.0}, {b, -1.0}}); }
  friend Value operator*(const Value& a, const Value& b) {
    return make(a.value() * b.value(), {{a, b.value()}, {b, a.value()}});
  }
  // x^k for an integer k >= 0: d/dx x^k = k x^(k−1)
  friend Value pow(const Value& x, int k) {
    const double v = std::pow(x.value(), k);
    return make(v, {{x, k == 0 ? 0.0 : k * std::pow(x.value(), k - 1)}});
  }

  // The gradient of this value with respect to every Value it was computed from.
  void backward() const {
    // a topological order: each node after all the nodes it depends on
    std::vector<Node*> order;
    std::unordered_set<Node*> seen;
    std::function<void(Node*)> visit = [&](Node* n) {
      if (!seen.insert(n).second) return;
      for (auto& [parent, local] : n->parents) visit(parent.get());
      order.push_back(n);
    };
    visit(node_.get());
    for (Node* n : order) n->grad = 0;
    node_->grad = 1;
    // from the output back: the chain rule
    for (auto it = order.rbegin(); it != order.rend(); ++it)
      for (auto& [parent, local] : (*it)->parents) parent->grad += (*it)->grad * local;
  }

 private:
  static Value make(double v, std::vector<std::pair<Value, double>> inputs) {
    Value out(v);
    for (auto& [in, local] : inputs) out.node_->parents.emplace_back(in.node_, local);
    return out;
  }
  std::shared_ptr<Node> node_;
};

// ---- 2. The model, its loss and SGLD ---------------------------------------------
//
// The polynomial regressor f(x; w) = x · Π_j w_j^k_j with the mean squared error
//
//   L_n(w) = (1/n) Σ_i (y_i − x_i u)²,   u = Π_j w_j^k_j,
//
// which expands to syy − 2u·sxy + u²·sxx with the data's means sxx = mean(x²),
// sxy = mean(x·y), syy = mean(y²): the sums over the data are done once, and the
// graph of one step has a handful of nodes.

struct Data {
  double sxx = 0, sxy = 0, syy = 0;
  std::int64_t n = 0;
};

inline Data summarize(const std::vector<double>& x, const std::vector<double>& y) {
  Data d;
  d.n = static_cast<std::int64_t>(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    d.sxx += x[i] * x[i];
    d.sxy += x[i] * y[i];
    d.syy += y[i] * y[i];
  }
  const double n = static_cast<double>(d.n);
  d.sxx /= n, d.sxy /= n, d.syy /= n;
  return d;
}

inline Value loss(const std::vector<Value>& w, const std::vector<int>& powers, const Data& d) {
  Value u(1.0);
  for (std::size_t j = 0; j < w.size(); ++j) u = u * pow(w[j], powers[j]);
  return Value(d.syy) - Value(2 * d.sxy) * u + Value(d.sxx) * u * u;
}

struct Settings {
  double epsilon = 2e-5;  // the SGLD step
  double gamma = 1;       // the localization: a Gaussian prior of precision γ at w*
  double nbeta = 0;       // nβ; 0: n / log n
  std::int64_t burnin = 1000, draws = 20000;
  std::uint64_t seed = 0;
};

// One chain of SGLD on exp(−nβ L_n(w) − γ/2 ‖w − w*‖²) from w*:
//
//   w ← w − (ε/2) (nβ ∇L_n(w) + γ (w − w*)) + √ε · N(0, I)
//
// returning the loss at every draw.
inline std::vector<double> sgld_chain(const std::vector<double>& w_star, const std::vector<int>& powers,
                                      const Data& d, const Settings& s, std::uint64_t chain) {
  std::mt19937_64 random(s.seed * 1000003 + chain);
  std::normal_distribution<double> normal(0, 1);
  const double nbeta = s.nbeta > 0 ? s.nbeta : static_cast<double>(d.n) / std::log(static_cast<double>(d.n));
  std::vector<double> w = w_star, losses;
  for (std::int64_t step = 0; step < s.burnin + s.draws; ++step) {
    std::vector<Value> vars(w.begin(), w.end());
    const Value l = loss(vars, powers, d);
    l.backward();
    for (std::size_t j = 0; j < w.size(); ++j) {
      const double drift = nbeta * vars[j].grad() + s.gamma * (w[j] - w_star[j]);
      w[j] += -0.5 * s.epsilon * drift + std::sqrt(s.epsilon) * normal(random);
    }
    if (step >= s.burnin) losses.push_back(l.value());
  }
  return losses;
}

// ---- 3. The local learning coefficient -------------------------------------------
//
//   λ̂ = nβ (E_w[L_n(w)] − L_n(w*)),
//
// the expectation over the draws of all chains. Its standard error comes from the
// spread of per-chain batch means (the draws within a chain are correlated; batches
// of 1000 draws are nearly independent).

struct Estimate {
  double llc = 0, standard_error = 0;
};

inline Estimate llc(const std::vector<double>& w_star, const std::vector<int>& powers, const Data& d,
                    const Settings& s, int chains) {
  const double nbeta = s.nbeta > 0 ? s.nbeta : static_cast<double>(d.n) / std::log(static_cast<double>(d.n));
  std::vector<Value> at(w_star.begin(), w_star.end());
  const double l_star = loss(at, powers, d).value();
  std::vector<double> batches;
  constexpr std::int64_t kBatch = 1000;
  for (int c = 0; c < chains; ++c) {
    const std::vector<double> losses = sgld_chain(w_star, powers, d, s, static_cast<std::uint64_t>(c));
    for (std::size_t b = 0; b + kBatch <= losses.size(); b += kBatch) {
      double sum = 0;
      for (std::size_t i = b; i < b + kBatch; ++i) sum += losses[i];
      batches.push_back(nbeta * (sum / kBatch - l_star));
    }
  }
  double mean = 0, var = 0;
  for (double b : batches) mean += b / static_cast<double>(batches.size());
  for (double b : batches) var += (b - mean) * (b - mean) / static_cast<double>(batches.size() - 1);
  return {mean, std::sqrt(var / static_cast<double>(batches.size()))};
}

}  // namespace micro
