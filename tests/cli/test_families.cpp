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
  EXPECT_EQ(family_names(), "polynomial, dln, rrr, autoencoder, tms, grok, network");
}

TEST(Families, UnknownNamesAndForeignFlagsAreRefusedByName) {
  const std::string unknown = testing::error_of([] { family("mlp"); });
  EXPECT_NE(unknown.find("unknown model mlp (polynomial, dln, rrr, autoencoder, tms, grok, network)"),
            std::string::npos)
      << unknown;
  ProblemSpec s;
  s.model = "grok";
  const std::string foreign = testing::error_of([&] { check_flags_apply(s, {"--widths"}); });
  EXPECT_NE(foreign.find("--widths does not apply to --model grok (it applies to dln, rrr)"), std::string::npos)
      << foreign;
  // flags that are not model flags are not the registry's business
  EXPECT_NO_THROW(check_flags_apply(s, {"--seed", "--checkpoint", "--train-steps"}));
  s.model = "polynomial";
  EXPECT_THROW(check_flags_apply(s, {"--train-steps"}), Error);
}

}  // namespace
}  // namespace lambdahat::cli
