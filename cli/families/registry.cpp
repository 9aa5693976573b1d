#include "families.hpp"

namespace lambdahat::cli {

const std::vector<Family>& families() {
  static const std::vector<Family> all = {polynomial_family(), dln_family(), rrr_family(),
                                          autoencoder_family(), tms_family(), grok_family(),
                                          network_family(), mlp_family()};
  return all;
}

std::string family_names() {
  std::string names;
  for (const Family& f : families()) names += (names.empty() ? "" : ", ") + f.name;
  return names;
}

const Family& family(const std::string& name) {
  for (const Family& f : families())
    if (f.name == name) return f;
  fail("lambdahat", "unknown model ", name, " (", family_names(), ")");
}

void check_n_and_steps(const ProblemSpec& s) {
  check(!s.n || *s.n >= 1, "lambdahat", "--n must be >= 1, got ", s.n.value_or(0));
  check(!s.train_steps || *s.train_steps >= 1, "lambdahat", "--train-steps must be >= 1, got ",
        s.train_steps.value_or(0));
}

std::int64_t default_batch(std::int64_t n, long double parameters) {
  const long double full_batch_macs = static_cast<long double>(n) * parameters;
  return full_batch_macs > 1e8L && n > kLargeProblemBatch ? kLargeProblemBatch : 0;
}

}  // namespace lambdahat::cli
