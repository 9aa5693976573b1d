// --model mlp: a ReLU network of the given widths (inputs, hidden layers, classes)
// trained by Adam on classification data from a teacher of the same shape. The
// inputs are Gaussian and each label is drawn from the teacher's softmax
// probabilities, so the population loss has its minimum at finite weights (the
// teacher's), not at infinity as it would for labels that are the teacher's argmax.
// No learning coefficient is known for it: the estimate comes with its diagnostics
// only. Large widths are what the family is for (784,256,256,10 on 10 000 samples).
#include <cmath>

#include "families.hpp"

namespace lambdahat::cli {
namespace {

std::unique_ptr<Sequential> relu_network(const std::vector<std::int64_t>& widths, Generator& gen) {
  auto net = std::make_unique<Sequential>();
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    if (l > 0) net->add(ReLU());
    net->add(Linear(widths[l], widths[l + 1], gen));
  }
  return net;
}

// Gaussian inputs; labels drawn from softmax(s · teacher(x)), the logits scaled to a
// standard deviation of 3 so that the labels carry information about the inputs.
Dataset teacher_classification(const std::vector<std::int64_t>& widths, std::int64_t n, std::uint64_t seed) {
  Generator gen(seed, 7);
  const auto teacher = relu_network(widths, gen);
  const Tensor x = normal({n, widths.front()}, gen);
  Tensor logits;
  {
    NoGradGuard no_grad;
    logits = (*teacher)(Variable(x)).value();
  }
  const double spread = std::sqrt(mean(square(add(logits, -mean(logits).item()))).item());
  const Tensor probs = softmax(mul(logits, spread > 0 ? 3.0 / spread : 1.0), -1).contiguous();
  const Tensor u = uniform({n}, gen, 0, 1, kFloat64);
  Tensor labels = zeros({n}, kInt64);
  const std::int64_t classes = widths.back();
  const float* p = probs.data<float>();
  for (std::int64_t i = 0; i < n; ++i) {
    double below = 0, draw = u.data<double>()[i];
    std::int64_t k = 0;
    while (k + 1 < classes && below + p[i * classes + k] <= draw) below += p[i * classes + k++];
    labels.data<std::int64_t>()[i] = k;
  }
  return Dataset(x, labels);
}

long double parameter_count(const std::vector<std::int64_t>& widths) {
  long double params = 0;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l)
    params += static_cast<long double>(widths[l] + 1) * static_cast<long double>(widths[l + 1]);
  return params;
}

}  // namespace

Family mlp_family() {
  Family f;
  f.name = f.reported_as = "mlp";
  f.flags = {"--widths", "--n", "--train-steps"};
  f.validate = [](const ProblemSpec& s) {
    check(s.widths.size() >= 3, "lambdahat", "--model mlp needs at least three widths: inputs, hidden layers, classes");
    for (auto w : s.widths) check(w > 0, "lambdahat", "--widths must be positive, got ", w);
    check(s.widths.back() >= 2, "lambdahat", "--model mlp needs at least 2 classes (the last width), got ",
          s.widths.back());
  };
  f.footprint = [](const ProblemSpec& s) {
    const long double n = static_cast<long double>(s.n.value_or(5000));
    long double widths = 0;
    for (auto w : s.widths) widths += static_cast<long double>(w);
    return Footprint{.data = n * (static_cast<long double>(s.widths.front()) * 4 + 8),
                     .activations = 3 * n * widths * 4,
                     .params = parameter_count(s.widths)};
  };
  f.theory = [](const ProblemSpec&) -> std::optional<LearningCoefficient> { return std::nullopt; };
  f.default_batch = [](const ProblemSpec& s) {
    return default_batch(s.n.value_or(5000), parameter_count(s.widths));
  };
  f.make = [](const ProblemSpec& s, Generator& init, bool train, const Log& log) {
    const std::int64_t n = s.n.value_or(5000);
    std::string widths;
    for (auto w : s.widths) {
      if (!widths.empty()) widths += '-';
      widths += std::to_string(w);
    }
    Made m{.model = relu_network(s.widths, init),
           .data = teacher_classification(s.widths, n, s.seed),
           .loss = cross_entropy_loss(),
           .description = "ReLU MLP " + widths + ", labels from a teacher of the same shape, n = " +
                          std::to_string(n)};
    if (train) {
      const FullBatchRecipe recipe{.steps = s.train_steps.value_or(4000),
                                   .lr = 1e-3,
                                   .loss = TrainingLoss::cross_entropy,
                                   .batch = default_batch(n, parameter_count(s.widths)),
                                   .seed = s.seed};
      std::string line = "training the MLP (Adam, ";
      if (recipe.batch) {
        line += "minibatches of ";
        line += std::to_string(recipe.batch);
      } else {
        line += "full batch";
      }
      log(line + ")...");
      train_full_batch(*m.model, m.data, recipe);
    }
    return m;
  };
  return f;
}

}  // namespace lambdahat::cli
