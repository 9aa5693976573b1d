// The README's first example: train a deep linear network 5-3-5 to a rank-1 teacher,
// estimate its local learning coefficient with the library's defaults (which
// calibrate the sampler for this model), and print the estimate, what the
// calibration chose, and any warning. The test suite runs it and checks that λ̂ lands
// within 10 % of theory (λ = 8).
#include <cstdio>

#include <lambdahat.hpp>

using namespace lambdahat;

int main() {
  const TeacherStudent ts = teacher_student(5000, 5, 5, /*rank=*/1, /*noise=*/0.1, /*seed=*/0);
  Generator gen(0);
  DeepLinearNetwork model({5, 3, 5}, gen);
  Adam opt(model.parameters(), AdamOptions{.lr = 1e-2});
  for (int step = 0; step < 4000; ++step) {
    opt.zero_grad();
    mse_loss(model(Variable(ts.data.inputs())), Variable(ts.data.targets())).backward();
    opt.step();
  }
  const LLCResult r = estimate_llc(model, mse_loss_fn(), ts.data);
  std::printf("llc %.3f ± %.3f (theory %.3f)\n", r.mean, r.diagnostics.mcse, deep_linear_network({5, 3, 5}, 1).lambda);
  std::printf("calibration: %s\n", r.calibration.summary().c_str());
  std::printf("R-hat %.4f, bulk-ESS %.0f, MALA acceptance %.3f\n", r.diagnostics.rhat, r.diagnostics.ess_bulk,
              r.diagnostics.mala_acceptance);
  for (const std::string& w : r.warnings) std::printf("warning: %s\n", w.c_str());
  return r.has_estimate() ? 0 : 1;
}
