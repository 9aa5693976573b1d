// --model dln, rrr and autoencoder: linear (and ReLU) networks trained on
// teacher–student or low-rank data by full-batch Adam (nn/recipes.hpp).
#include <sstream>

#include "families.hpp"

namespace lambdahat::cli {
namespace {

std::string joined(const std::vector<std::int64_t>& values, const char* sep) {
  std::ostringstream os;
  for (std::size_t i = 0; i < values.size(); ++i) os << (i ? sep : "") << values[i];
  return os.str();
}

FullBatchRecipe recipe_for(const ProblemSpec& s, long double parameters) {
  FullBatchRecipe r;
  if (s.train_steps) r.steps = *s.train_steps;
  r.batch = default_batch(s.n.value_or(5000), parameters);
  r.seed = s.seed;
  return r;
}

long double parameter_count(const std::vector<std::int64_t>& widths) {
  long double params = 0;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i)
    params += static_cast<long double>(widths[i]) * static_cast<long double>(widths[i + 1]);
  return params;
}

void validate_widths(const ProblemSpec& s) {
  check(s.widths.size() >= 2, "lambdahat", "--widths needs at least two widths");
  std::int64_t narrowest = s.widths.front();
  for (auto w : s.widths) {
    check(w > 0, "lambdahat", "--widths must be positive, got ", w);
    narrowest = std::min(narrowest, w);
  }
  check(rank_of(s) >= 0 && rank_of(s) <= narrowest, "lambdahat", "--rank ", rank_of(s),
        " is impossible: it must be in [0, ", narrowest, "], the narrowest width");
}

Family deep_linear(const std::string& name) {
  Family f;
  f.name = name;
  f.reported_as = "dln";
  f.flags = {"--widths", "--rank", "--n", "--train-steps"};
  f.validate = validate_widths;
  f.footprint = [](const ProblemSpec& s) {
    const long double n = static_cast<long double>(s.n.value_or(5000));
    Footprint fp;
    long double widths = 0;
    for (std::size_t i = 0; i < s.widths.size(); ++i) {
      widths += static_cast<long double>(s.widths[i]);
      if (i + 1 < s.widths.size()) fp.params += static_cast<long double>(s.widths[i]) * static_cast<long double>(s.widths[i + 1]);
    }
    fp.data = n * static_cast<long double>(s.widths.front() + s.widths.back()) * (8 + 4);
    fp.activations = 3 * n * widths * 4;
    return fp;
  };
  f.theory = [](const ProblemSpec& s) { return std::optional(deep_linear_network(s.widths, rank_of(s))); };
  f.default_batch = [](const ProblemSpec& s) { return default_batch(s.n.value_or(5000), parameter_count(s.widths)); };
  f.make = [](const ProblemSpec& s, Generator& init, bool train, const Log& log) {
    // teacher–student: a random rank-r teacher, Gaussian inputs, output noise 0.1
    const std::int64_t n = s.n.value_or(5000);
    const TeacherStudent ts = teacher_student(n, s.widths.front(), s.widths.back(), rank_of(s), 0.1, s.seed);
    Made m{.model = std::make_unique<DeepLinearNetwork>(s.widths, init),
           .data = ts.data,
           .loss = mse_loss_fn(),
           .description = "deep linear network " + joined(s.widths, "-") + ", teacher rank " +
                          std::to_string(rank_of(s)) + ", n = " + std::to_string(n)};
    if (train) {
      const FullBatchRecipe recipe = recipe_for(s, parameter_count(s.widths));
      if (recipe.batch) {
        std::string line = "training the student to the teacher (Adam, minibatches of ";
        line += std::to_string(recipe.batch);
        log(line + ")...");
      } else {
        log("training the student to the teacher (full-batch Adam)...");
      }
      train_full_batch(*m.model, m.data, recipe);
    }
    return m;
  };
  return f;
}

}  // namespace

Family dln_family() { return deep_linear("dln"); }

// Reduced-rank regression: a deep linear network with one hidden layer, M → H → N.
Family rrr_family() {
  Family f = deep_linear("rrr");
  f.validate = [](const ProblemSpec& s) {
    check(s.widths.size() == 3, "lambdahat", "--model rrr needs exactly three widths M,H,N");
    validate_widths(s);
  };
  return f;
}

Family autoencoder_family() {
  Family f;
  f.name = f.reported_as = "autoencoder";
  f.flags = {"--rank", "--dim", "--bottleneck", "--relu", "--tied", "--n", "--train-steps"};
  f.validate = [](const ProblemSpec& s) {
    check(s.dim > 0 && s.bottleneck > 0, "lambdahat", "--dim and --bottleneck must be positive");
    check(rank_of(s) >= 1 && rank_of(s) <= s.dim, "lambdahat", "--rank (the data rank s) must be in [1, ", s.dim,
          "], got ", rank_of(s));
  };
  f.footprint = [](const ProblemSpec& s) {
    const long double n = static_cast<long double>(s.n.value_or(5000)), d = static_cast<long double>(s.dim);
    const long double h = static_cast<long double>(s.bottleneck);
    return Footprint{.data = n * d * (8 + 4), .activations = 3 * n * (2 * d + h) * 4, .params = 2 * d * h};
  };
  f.theory = [](const ProblemSpec& s) -> std::optional<LearningCoefficient> {
    if (s.relu || s.tied) return std::nullopt;
    return linear_autoencoder(s.dim, s.bottleneck, rank_of(s));
  };
  f.default_batch = [](const ProblemSpec& s) {
    return default_batch(s.n.value_or(5000), 2 * static_cast<long double>(s.dim * s.bottleneck));
  };
  f.make = [](const ProblemSpec& s, Generator& init, bool train, const Log& log) {
    const std::int64_t n = s.n.value_or(5000);
    auto model = std::make_unique<Autoencoder>(
        s.dim, s.bottleneck, init,
        AutoencoderOptions{.tied = s.tied, .activation = s.relu ? Activation::relu : Activation::none});
    std::ostringstream desc;
    desc << (s.relu ? "ReLU" : "linear") << (s.tied ? " tied" : "") << " autoencoder " << s.dim << " → "
         << s.bottleneck << " → " << s.dim << ", data rank " << rank_of(s) << ", n = " << n;
    Made m{.model = std::move(model),
           .data = low_rank_data(n, s.dim, rank_of(s), s.seed),
           .loss = mse_loss_fn(),
           .description = desc.str()};
    if (train) {
      log("training the autoencoder (full-batch Adam)...");
      train_full_batch(*m.model, m.data, recipe_for(s, 2 * static_cast<long double>(s.dim * s.bottleneck)));
    }
    return m;
  };
  return f;
}

}  // namespace lambdahat::cli
