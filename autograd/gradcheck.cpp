#include "autograd/gradcheck.hpp"

#include <cmath>
#include <sstream>

#include "autograd/ops.hpp"
#include "tensor/random.hpp"
#include "tensor/reduction.hpp"

namespace lambdahat {

GradcheckResult gradcheck(const std::function<Variable(const std::vector<Variable>&)>& f,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  std::vector<Tensor> x;
  for (const auto& t : inputs) x.push_back(t.to(kFloat64));

  // F = Σ f(x) ⊙ w with fixed random weights w, so that every output entry counts.
  Tensor weights;
  auto projected = [&](const std::vector<Variable>& vars) {
    const Variable out = f(vars);
    check(out.dtype() == kFloat64, "gradcheck", "f must compute in float64 when given float64 inputs");
    if (!weights.defined()) {
      Generator gen(12345);
      weights = uniform(out.shape(), gen, 0.5, 1.5, kFloat64);
    }
    return sum(mul(out, Variable(weights)));
  };

  const std::vector<Tensor> analytic = grad(projected, x);

  GradcheckResult result;
  auto evaluate = [&](const std::vector<Tensor>& values) {
    NoGradGuard no_grad;
    std::vector<Variable> vars;
    for (const auto& v : values) vars.emplace_back(v);
    return projected(vars).item();
  };
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::int64_t n = x[i].numel();
    const std::vector<double> a = analytic[i].to_vector<double>();
    for (std::int64_t j = 0; j < n; ++j) {
      // the analytic pass saw the caller's layout; the finite differences use copies
      std::vector<Tensor> plus = x, minus = x;
      plus[i] = x[i].clone();
      minus[i] = x[i].clone();
      double* pp = plus[i].data<double>();
      double* mp = minus[i].data<double>();
      const double value = pp[j];
      if (options.near_kink && options.near_kink(i, value)) continue;
      pp[j] += options.eps;
      mp[j] -= options.eps;
      const double numeric = (evaluate(plus) - evaluate(minus)) / (2 * options.eps);
      const double err = std::abs(a[j] - numeric);
      result.max_abs_error = std::max(result.max_abs_error, err);
      ++result.checked;
      if (result.ok && !(err <= options.atol + options.rtol * std::abs(numeric))) {
        std::ostringstream os;
        os << "input " << i << " (shape " << x[i].shape() << "), element " << j << ": analytic " << a[j]
           << ", numeric " << numeric << ", error " << err;
        result.ok = false;
        result.message = os.str();
      }
    }
  }
  return result;
}

}  // namespace lambdahat
