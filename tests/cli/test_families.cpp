// The model-family registry (cli/families.hpp): every entry works at its defaults,
// names are unique, and the flags' scopes come from the entries.
#include <gtest/gtest.h>

#include <set>

#include "families.hpp"
#include "support/reference.hpp"

namespace lambdahat::cli {
namespace {

TEST(Families, EveryFamilyMakesItsProblemAtSmallSizes) {
  std::set<std::string> names;
  for (const Family& f : families()) {
    EXPECT_TRUE(names.insert(f.name).second) << f.name << " is registered twice";
    EXPECT_EQ(&family(f.name), &f);
    ASSERT_TRUE(f.validate && f.footprint && f.theory && f.make) << f.name;
    ProblemSpec s;
    s.model = f.name;
    if (f.name == "rrr") s.widths = {4, 3, 4};
    if (f.name != "grok") s.n = 200;
    if (f.name == "grok") s.p = 7;
    if (f.name != "polynomial") s.train_steps = 20;
    if (f.name == "network") {  // a PyTorch-trained network, its weights and data (tests/data/networks)
      const std::string d = std::string(LAMBDAHAT_TEST_DATA_DIR) + "/networks/mlp/";
      s = ProblemSpec();
      s.model = "network";
      s.checkpoint = d + "weights.safetensors";
      s.network = d + "net.json";
      s.data = d + "data.safetensors";
      s.loss = "ce";
    }
    EXPECT_GT(estimated_bytes(s, 4), 0) << f.name;
    const SamplerConfig c = default_sampler(s);
    EXPECT_FALSE(c.epsilon.has_value()) << f.name << ": the step size is the calibration's";
    const Problem pr = make_problem(s);
    EXPECT_EQ(pr.family, f.reported_as);
    EXPECT_TRUE(std::isfinite(pr.train_loss)) << f.name;
    EXPECT_GT(pr.model->num_parameters(), 0) << f.name;
    EXPECT_EQ(pr.data.size(), f.name == "grok" ? 19 : f.name == "network" ? 300 : 200) << f.name;  // grok: 40 % of 7²
    EXPECT_FALSE(pr.description.empty()) << f.name;
    EXPECT_EQ(static_cast<bool>(f.seed_study), f.name == "tms" || f.name == "grok") << f.name;
  }
  EXPECT_EQ(family_names(), "polynomial, dln, rrr, autoencoder, tms, grok, network, mlp");
}

TEST(Families, UnknownNamesAndForeignFlagsAreRefusedByName) {
  const std::string unknown = testing::error_of([] { family("cnn"); });
  EXPECT_NE(unknown.find("unknown model cnn (polynomial, dln, rrr, autoencoder, tms, grok, network, mlp)"),
            std::string::npos)
      << unknown;
  ProblemSpec s;
  s.model = "grok";
  const std::string foreign = testing::error_of([&] { check_flags_apply(s, {"--widths"}); });
  EXPECT_NE(foreign.find("--widths does not apply to --model grok (it applies to dln, rrr, mlp)"), std::string::npos)
      << foreign;
  // flags that are not model flags are not the registry's business
  EXPECT_NO_THROW(check_flags_apply(s, {"--seed", "--checkpoint", "--train-steps"}));
  s.model = "polynomial";
  EXPECT_THROW(check_flags_apply(s, {"--train-steps"}), Error);
}

// Large problems train and sample on minibatches of 256 and get a budget of steps
// that bounds the main run's multiply–adds; the built-in families' defaults are
// full batch with the 200 000-step budget.
TEST(Families, LargeProblemsTakeMinibatchesAndABoundedBudget) {
  EXPECT_EQ(default_batch(5000, 400), 0);                  // dln 10-10-10-10-10
  EXPECT_EQ(default_batch(10000, 4 * 256 * 256), kLargeProblemBatch);
  EXPECT_EQ(default_batch(200, 1e7L), 0);                  // no smaller batch than the data set
  ProblemSpec s;
  s.model = "dln";
  s.widths = {256, 256, 256, 256, 256};
  s.n = 10000;
  SamplerConfig c = default_sampler(s);
  EXPECT_EQ(c.batch_size, kLargeProblemBatch);
  // 4 chains × steps × 3 · 256 · 262 144 multiply–adds ≤ 10¹³
  const std::int64_t steps = default_max_steps(s, c, 10000, 2000);
  EXPECT_EQ(steps, static_cast<std::int64_t>(1e13 / (4.0 * 3 * 256 * 262144)));
  EXPECT_EQ(default_max_steps(s, c, 10000, 20000), 20000);  // never below the floor
  s.widths = {10, 10, 10, 10, 10};
  s.n = 1000;
  c = default_sampler(s);
  EXPECT_EQ(c.batch_size, 0);
  EXPECT_EQ(default_max_steps(s, c, 1000, 2000), 200000);
  s.model = "mlp";
  s.widths = {784, 256, 256, 10};
  s.n = 10000;
  EXPECT_EQ(default_sampler(s).batch_size, kLargeProblemBatch);
}

// The MLP family's labels come from its teacher's softmax: every class in range,
// more than one class used, and the same seed gives the same data.
TEST(Families, MlpLabelsComeFromTheTeacher) {
  ProblemSpec s;
  s.model = "mlp";
  s.widths = {6, 8, 4};
  s.n = 400;
  s.train_steps = 200;
  const Problem a = make_problem(s), b = make_problem(s);
  ASSERT_EQ(a.data.targets().dtype(), kInt64);
  std::set<std::int64_t> classes;
  for (std::int64_t i = 0; i < 400; ++i) {
    const std::int64_t k = a.data.targets().data<std::int64_t>()[i];
    ASSERT_GE(k, 0);
    ASSERT_LT(k, 4);
    classes.insert(k);
    ASSERT_EQ(k, b.data.targets().data<std::int64_t>()[i]);
  }
  EXPECT_GT(classes.size(), 1u);
  EXPECT_TRUE(allclose(a.data.inputs(), b.data.inputs(), 0, 0));
  // training lowers the cross-entropy below log 4 (uniform guessing)
  EXPECT_LT(a.train_loss, std::log(4.0));
  const std::string few = testing::error_of([&] {
    ProblemSpec t = s;
    t.widths = {6, 4};
    family("mlp").validate(t);
  });
  EXPECT_NE(few.find("at least three widths"), std::string::npos) << few;
}

}  // namespace
}  // namespace lambdahat::cli
