// Networks from JSON descriptions: PyTorch's loss and gradients at PyTorch-trained
// weights (tests/data/networks, made by tools/export_torch_networks.py), each layer
// kind by finite differences in float64, and descriptions, weights and data that do
// not fit, each refused with a message naming the layer or tensor.
#include <cmath>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "slt/sampler.hpp"
#include "support/reference.hpp"

namespace lambdahat {
namespace {

const std::string kNetworks = std::string(LAMBDAHAT_TEST_DATA_DIR) + "/networks/";

// The loss and every gradient at the committed weights agree with PyTorch's to
// float32 precision: the loss to 1e-5 relative, each gradient entry within 1e-4 of
// the largest entry of its tensor (float32 sums over a few hundred examples).
class TorchRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(TorchRoundTrip, LossAndGradientsMatchPyTorch) {
  const std::string dir = kNetworks + GetParam() + "/";
  std::ifstream in(dir + "reference.json");
  const nlohmann::json ref = nlohmann::json::parse(in);
  const NetworkSpec spec = load_network(dir + "net.json");
  Generator gen(7);
  std::unique_ptr<Module> net = build_network(spec, gen);
  load_checkpoint(*net, dir + "weights.safetensors");
  const NetworkData data = load_network_data(dir + "data.safetensors");
  const std::string loss_name = ref["loss"];
  check_network_data(spec, *net, data.train, loss_name == "ce" ? TargetKind::classes : TargetKind::values, "data");
  net->eval();
  net->zero_grad();
  const Variable loss = loss_named(loss_name)(*net, data.train.all());
  loss.backward();
  const double expected = ref["value"];
  EXPECT_NEAR(loss.value().item(), expected, 1e-5 * std::abs(expected) + 1e-7);
  const auto params = net->named_parameters();
  ASSERT_EQ(params.size(), ref["gradients"].size());
  double largest = 0;  // the comparison means something only where the gradient is not 0
  for (const auto& [name, p] : params) {
    ASSERT_TRUE(ref["gradients"].contains(name)) << name;
    const std::vector<double> want = ref["gradients"][name].get<std::vector<double>>();
    const std::vector<double> got = p.grad().to(kFloat64).contiguous().to_vector<double>();
    ASSERT_EQ(got.size(), want.size()) << name;
    double scale = 0;
    for (double v : want) scale = std::max(scale, std::abs(v));
    largest = std::max(largest, scale);
    for (std::size_t i = 0; i < got.size(); ++i)
      EXPECT_NEAR(got[i], want[i], 1e-4 * scale + 1e-7) << name << "[" << i << "]";
  }
  EXPECT_GT(largest, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Networks, TorchRoundTrip,
                         ::testing::Values("mlp", "kinds", "tokens", "embedding", "flatten"));

// Each layer kind against finite differences in float64: with respect to its input
// and to its parameters.
TEST(NetworkLayers, EveryKindPassesTheGradientCheck) {
  Generator gen(3);
  const Tensor x = normal({4, 5}, gen, 0, 1, kFloat64);
  const auto check_layer = [&](const std::string& json) {
    const NetworkSpec spec = parse_network("{\"layers\": [" + json + "]}", "test");
    std::unique_ptr<Module> net = build_network(spec, gen, kFloat64);
    std::vector<Tensor> inputs = {x};
    for (auto& [name, p] : net->named_parameters()) inputs.push_back(p.value().clone());
    const GradcheckResult r = gradcheck(
        [&](const std::vector<Variable>& v) {
          // the module computes with the Variables gradcheck perturbs (v[0] is x)
          std::size_t i = 1;
          net->for_each_parameter([&](const std::string&, Variable& p) { p = v[i++]; });
          return net->forward(v[0]);
        },
        inputs);
    EXPECT_TRUE(r.ok) << json << ": " << r.message;
    // every entry of x and of every parameter was compared
    std::int64_t entries = 0;
    for (const Tensor& t : inputs) entries += t.numel();
    EXPECT_EQ(r.checked, entries) << json;
  };
  check_layer(R"({"type": "linear", "in": 5, "out": 3})");
  check_layer(R"({"type": "linear", "in": 5, "out": 3, "bias": false})");
  check_layer(R"({"type": "linear", "in": 5, "out": 5}, {"type": "gelu"})");
  check_layer(R"({"type": "linear", "in": 5, "out": 5}, {"type": "gelu", "approximate": "tanh"})");
  check_layer(R"({"type": "linear", "in": 5, "out": 5}, {"type": "tanh"})");
  check_layer(R"({"type": "linear", "in": 5, "out": 5}, {"type": "sigmoid"})");
  check_layer(R"({"type": "linear", "in": 5, "out": 5}, {"type": "softplus"})");
  check_layer(R"({"type": "linear", "in": 5, "out": 5}, {"type": "identity"}, {"type": "dropout", "p": 0.5})");
  check_layer(R"({"type": "layernorm", "dim": 5}, {"type": "linear", "in": 5, "out": 2})");
  check_layer(R"({"type": "layernorm", "dim": 5, "affine": false, "eps": 1e-3}, {"type": "linear", "in": 5, "out": 2})");
  check_layer(R"({"type": "linear", "in": 5, "out": 4},
                 {"type": "residual", "layers": [{"type": "linear", "in": 4, "out": 4}, {"type": "tanh"}]},
                 {"type": "linear", "in": 4, "out": 1})");
  // ReLU away from its kink: inputs shifted off 0
  check_layer(R"({"type": "linear", "in": 5, "out": 3}, {"type": "relu"})");
}

TEST(NetworkLayers, EmbeddingsAndFlattenByFiniteDifferences) {
  Generator gen(4);
  for (const char* json : {R"({"layers": [{"type": "embedding", "num": 6, "dim": 3}, {"type": "linear", "in": 3, "out": 2}]})",
                           R"({"layers": [{"type": "embedding_pair", "num": 6, "dim": 3}, {"type": "linear", "in": 6, "out": 2}]})"}) {
    const NetworkSpec spec = parse_network(json, "test");
    std::unique_ptr<Module> net = build_network(spec, gen, kFloat64);
    const Tensor tokens = spec.layers.front().type == "embedding"
                              ? from_vector(std::vector<std::int64_t>{0, 5, 2, 2}, {4})
                              : from_vector(std::vector<std::int64_t>{0, 5, 2, 2, 1, 1}, {3, 2});
    std::vector<Tensor> inputs;
    for (auto& [name, p] : net->named_parameters()) inputs.push_back(p.value().clone());
    const GradcheckResult r = gradcheck(
        [&](const std::vector<Variable>& v) {
          std::size_t i = 0;
          net->for_each_parameter([&](const std::string&, Variable& p) { p = v[i++]; });
          return net->forward(Variable(tokens));
        },
        inputs);
    EXPECT_TRUE(r.ok) << json << ": " << r.message;
  }
  // flatten: (n, 2, 3) → (n, 6), the row-major order PyTorch's nn.Flatten keeps
  Flatten flatten;
  const Tensor x = from_vector(std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {2, 2, 3});
  const Tensor y = flatten(Variable(x)).value();
  ASSERT_EQ(y.shape(), (Dims{2, 6}));
  EXPECT_EQ(y.at({1, 4}), 10);
  const GradcheckResult r = gradcheck([&](const std::vector<Variable>& v) { return flatten(v[0]); }, {x});
  EXPECT_TRUE(r.ok) << r.message;
}

// LayerNorm against its formula computed by hand in double precision.
TEST(NetworkLayers, LayerNormMatchesItsFormula) {
  LayerNorm ln(4, 1e-5, true, kFloat64);
  ln.weight.value().copy_(from_vector(std::vector<double>{1, 2, 0.5, -1}, {4}));
  ln.bias.value().copy_(from_vector(std::vector<double>{0, 0.1, 0.2, 0.3}, {4}));
  const std::vector<double> row = {1, 2, 4, 7};
  const Tensor y = ln(Variable(from_vector(row, {1, 4}))).value();
  const double m = 3.5, v = (6.25 + 2.25 + 0.25 + 12.25) / 4;
  const double w[4] = {1, 2, 0.5, -1}, b[4] = {0, 0.1, 0.2, 0.3};
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(y.at({0, j}), (row[j] - m) / std::sqrt(v + 1e-5) * w[j] + b[j], 1e-12);
}

// What does not fit is refused, naming the layer or tensor.
TEST(NetworkDescriptions, BadDescriptionsNameTheLayer) {
  const auto message = [](const std::string& json) {
    try {
      parse_network(json, "net.json");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message(R"({"layers": [{"type": "linear", "in": 4, "out": 8}, {"type": "conv2d"}]})")
                .find("layer 1: unknown type conv2d (convolutions, attention"),
            std::string::npos);
  EXPECT_NE(message(R"({"layers": [{"type": "linear", "in": 4, "out": 8}, {"type": "linear", "in": 6, "out": 1}]})")
                .find("layer 1 (linear): in is 6 but 8 features come in"),
            std::string::npos);
  EXPECT_NE(message(R"({"layers": [{"type": "linear", "in": 4, "out": 8, "bias": 1}]})").find("bias must be true or false"),
            std::string::npos);
  EXPECT_NE(message(R"({"layers": [{"type": "linear", "in": 4}]})").find("layer 0 (linear): needs in and out"),
            std::string::npos);
  EXPECT_NE(message(R"({"layers": [{"type": "linear", "in": 4, "out": 4, "size": 3}]})").find("unknown field size"),
            std::string::npos);
  EXPECT_NE(message(R"({"layers": [{"type": "linear", "in": 4, "out": 4}, {"type": "residual", "layers": [{"type": "linear", "in": 4, "out": 2}]}]})")
                .find("a residual block must keep the width"),
            std::string::npos);
  EXPECT_NE(message(R"({"layers": [{"type": "relu"}, {"type": "embedding", "num": 3, "dim": 2}]})").find("must come first"),
            std::string::npos);
  EXPECT_NE(message(R"({"layer": []})").find("unknown field layer"), std::string::npos);
  EXPECT_NE(message("{\"layers\": [").find("net.json"), std::string::npos);
}

TEST(NetworkDescriptions, WeightsAndDataThatDoNotFit) {
  const std::string dir = kNetworks + "mlp/";
  const NetworkSpec spec = load_network(dir + "net.json");
  Generator gen(1);
  std::unique_ptr<Module> net = build_network(spec, gen);
  // the weights of another network: missing and wrongly shaped tensors named
  try {
    load_checkpoint(*net, kNetworks + "kinds/weights.safetensors");
    ADD_FAILURE() << "another network's weights were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("0.weight"), std::string::npos) << e.what();
  }
  // data: classes past the outputs, float targets for cross-entropy, wrong widths
  const NetworkData tokens = load_network_data(kNetworks + "tokens/data.safetensors");
  const NetworkData kinds = load_network_data(kNetworks + "kinds/data.safetensors");
  const auto message = [&](const Dataset& d, TargetKind kind) {
    try {
      check_network_data(spec, *net, d, kind, "d.safetensors");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message(tokens.train, TargetKind::classes).find("x is int64, but the network starts with linear"),
            std::string::npos);
  EXPECT_NE(message(kinds.train, TargetKind::values).find("x has shape [200, 6] but the network's first layer (linear) takes (n, 4)"),
            std::string::npos);
  const NetworkData mlp = load_network_data(dir + "data.safetensors");
  EXPECT_EQ(message(mlp.train, TargetKind::classes), "accepted");
  EXPECT_NE(message(mlp.train, TargetKind::values).find("a squared loss needs float targets"), std::string::npos);
  const Dataset too_many_classes(mlp.train.inputs(), from_vector(std::vector<std::int64_t>(300, 5), {300}));
  EXPECT_NE(message(too_many_classes, TargetKind::classes).find("y holds classes from 5 to 5 but the network has 3 outputs"),
            std::string::npos);
}

}  // namespace
}  // namespace lambdahat
