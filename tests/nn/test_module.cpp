// Modules: names, tied parameters, cloning, state dicts, initialisation.
#include <cmath>

#include "support/reference.hpp"

namespace lambdahat {
namespace {

using testing::error_of;

std::vector<std::string> names(Module& m) {
  std::vector<std::string> out;
  for (auto& [name, p] : m.named_parameters()) out.push_back(name);
  return out;
}

TEST(Module, HierarchicalNamesInAStableOrder) {
  Generator gen(1);
  ModularAdditionMLP grok(53, 12, 48, gen);
  EXPECT_EQ(names(grok), (std::vector<std::string>{"embedding.weight", "left.weight", "left.bias", "right.weight",
                                                   "right.bias", "out.weight"}));
  EXPECT_EQ(grok.num_parameters(), 53 * 12 + 2 * (12 * 48 + 48) + 48 * 53);
  DeepLinearNetwork dln({10, 5, 5, 10}, gen);
  EXPECT_EQ(names(dln), (std::vector<std::string>{"0.weight", "1.weight", "2.weight"}));
  Sequential seq;
  seq.add(Linear(3, 4, gen));
  seq.add(ReLU());
  seq.add(Linear(4, 2, gen, LinearOptions{.bias = false}));
  EXPECT_EQ(names(seq), (std::vector<std::string>{"0.weight", "0.bias", "2.weight"}));
  EXPECT_EQ(seq.forward(Variable(ones({5, 3}))).shape(), (Dims{5, 2}));
}

TEST(Module, TiedParametersCountOnce) {
  Generator gen(2);
  Autoencoder tied(6, 2, gen, {.tied = true});
  EXPECT_EQ(names(tied), (std::vector<std::string>{"encoder.weight"}));
  EXPECT_EQ(tied.num_parameters(), 12);
  ToyModel tms(8, 2, gen);
  EXPECT_EQ(tms.num_parameters(), 16 + 8);
  // a parameter shared by two layers appears once
  Sequential seq;
  Linear& a = seq.add(Linear(3, 3, gen, LinearOptions{.bias = false}));
  Linear& b = seq.add(Linear(3, 3, gen, LinearOptions{.bias = false}));
  b.weight = a.weight;
  EXPECT_EQ(seq.num_parameters(), 9);
  EXPECT_EQ(names(seq), (std::vector<std::string>{"0.weight"}));
}

TEST(Module, CloneIsDeepAndKeepsTies) {
  Generator gen(3);
  Sequential seq;
  Linear& a = seq.add(Linear(3, 3, gen));
  Linear& b = seq.add(Linear(3, 3, gen));
  b.weight = a.weight;  // tied
  auto copy = seq.clone();
  auto params = copy->parameters();
  ASSERT_EQ(params.size(), 3u);  // shared weight, two biases
  // changing the copy leaves the original alone
  params[0].value().fill_(5);
  EXPECT_NE(a.weight.value().at({0, 0}), 5);
  // the tie survives in the copy: its second layer sees the same weight
  auto* copy_seq = static_cast<Sequential*>(copy.get());
  auto& copy_b = static_cast<Linear&>((*copy_seq)[1]);
  EXPECT_EQ(copy_b.weight.value().at({1, 2}), 5);
  // same outputs before the change, from a fresh clone
  auto grok = ModularAdditionMLP(7, 3, 5, gen);
  auto grok_copy = clone_as(grok);
  const Tensor tokens = randint(0, 7, {4, 2}, gen);
  EXPECT_TRUE(testing::identical(grok.forward(Variable(tokens)).value(), grok_copy->forward(Variable(tokens)).value()));
  EXPECT_NE(grok.left.weight.value().storage(), grok_copy->left.weight.value().storage());
}

TEST(Module, StateDictRoundTripAndErrors) {
  Generator gen(4);
  ModularAdditionMLP a(11, 4, 6, gen), b(11, 4, 6, gen);
  b.load_state_dict(a.state_dict());
  for (auto& [name, p] : b.named_parameters()) {
    const auto pa = a.named_parameters();
    const auto it = std::find_if(pa.begin(), pa.end(), [&](auto& e) { return e.first == name; });
    EXPECT_TRUE(testing::identical(it->second.value(), p.value())) << name;
  }
  StateDict state = a.state_dict();
  state[1].second = zeros({3, 3});
  EXPECT_EQ(error_of([&] { b.load_state_dict(state); }),
            "load_state_dict: tensor left.weight has shape (3,3) but ModularAdditionMLP expects (6,4)");
  state = a.state_dict();
  state.pop_back();
  EXPECT_EQ(error_of([&] { b.load_state_dict(state); }),
            "load_state_dict: ModularAdditionMLP expects a tensor named out.weight that the state does not have");
  state = a.state_dict();
  state.emplace_back("extra", zeros({1}));
  EXPECT_NE(error_of([&] { b.load_state_dict(state); }).find("extra"), std::string::npos);
  b.load_state_dict(state, /*strict=*/false);
  // dtype conversion on load
  ModularAdditionMLP d(11, 4, 6, gen, kFloat64);
  d.load_state_dict(a.state_dict());
  EXPECT_EQ(d.left.weight.dtype(), kFloat64);
}

TEST(Module, ZeroGradAndTrainMode) {
  Generator gen(5);
  Sequential seq;
  seq.add(Linear(2, 2, gen));
  seq.add(GELU());
  sum(seq(Variable(ones({1, 2})))).backward();
  for (auto& p : seq.parameters()) EXPECT_TRUE(p.grad().defined());
  seq.zero_grad();
  for (auto& p : seq.parameters()) EXPECT_FALSE(p.grad().defined());
  EXPECT_TRUE(seq.is_training());
  seq.eval();
  EXPECT_FALSE(seq.is_training());
  EXPECT_FALSE(seq[0].is_training());
}

TEST(Module, InitialisationMatchesPyTorchInDistribution) {
  // Linear: U(−1/√in, 1/√in) for weight and bias; Embedding: N(0, 1)
  Generator gen(6);
  Linear big(400, 300, gen);
  const auto w = big.weight.value().to_vector<double>();
  const double bound = 1 / std::sqrt(400.0);
  double mean = 0, sq = 0, lo = 1, hi = -1;
  for (double v : w) {
    mean += v;
    sq += v * v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  mean /= w.size();
  sq /= w.size();
  EXPECT_GE(lo, -bound);
  EXPECT_LE(hi, bound);
  EXPECT_NEAR(mean, 0, 5 * bound / std::sqrt(3.0 * w.size()));
  EXPECT_NEAR(sq, bound * bound / 3, 5 * bound * bound * 0.3 / std::sqrt(double(w.size())));
  Embedding emb(500, 100, gen);
  const auto e = emb.weight.value().to_vector<double>();
  double em = 0, es = 0;
  for (double v : e) {
    em += v;
    es += v * v;
  }
  EXPECT_NEAR(em / e.size(), 0, 5 / std::sqrt(double(e.size())));
  EXPECT_NEAR(es / e.size(), 1, 5 * std::sqrt(2.0 / e.size()));
}

}  // namespace
}  // namespace lambdahat
