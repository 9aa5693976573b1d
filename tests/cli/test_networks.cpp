// lambdahat llc --network: a PyTorch-trained network (tests/data/networks) with no
// C++ written, its parameters listed, and every input that does not fit refused with
// one line and exit 2 before any sampling.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "support/reference.hpp"

namespace {

using Result = lambdahat::testing::ShellResult;

const std::string kNetworks = std::string(LAMBDAHAT_TEST_DATA_DIR) + "/networks/";

Result run(const std::string& args) {
  return lambdahat::testing::run_shell(std::string(LAMBDAHAT_COMMAND) + " " + args + " 2>&1");
}

// The flags for a description, a weights file and a data file (paths as given).
std::string files(const std::string& net, const std::string& weights, const std::string& data) {
  return "--network " + net + " --checkpoint " + weights + " --data " + data;
}

std::string network(const std::string& name, const std::string& loss) {
  const std::string d = kNetworks + name + "/";
  return files(d + "net.json", d + "weights.safetensors", d + "data.safetensors") + " --loss " + loss;
}

TEST(Networks, LlcOfAPyTorchNetwork) {
  const Result r = lambdahat::testing::run_shell(std::string(LAMBDAHAT_COMMAND) + " llc " + network("mlp", "ce") +
                                                 " --json - 2>/dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  // the loss at the given weights is PyTorch's: the mean cross-entropy over the data
  std::ifstream in(kNetworks + "mlp/reference.json");
  const nlohmann::json ref = nlohmann::json::parse(in);
  const double torch_loss = ref["value"], torch_eval = ref["eval_value"];
  EXPECT_NEAR(j["init_loss"].get<double>(), torch_loss, 1e-5 * torch_loss);
  // and on the file's evaluation set (x_eval, y_eval), reported beside the estimate
  EXPECT_NEAR(j["eval_loss"].get<double>(), torch_eval, 1e-5 * torch_eval);
  EXPECT_EQ(j["n"], 300);
  EXPECT_GT(j["llc"]["mean"].get<double>(), 0);
  EXPECT_LT(j["llc"]["mean"].get<double>(), 131);  // at most the parameter count... and well below it
  EXPECT_TRUE(j["theory"].is_null());
  EXPECT_TRUE(j["calibration"]["targets_met"].get<bool>());
  EXPECT_TRUE(j["warnings"].empty()) << j["warnings"].dump();
  EXPECT_NE(j["model"].get<std::string>().find("131 parameters"), std::string::npos) << j["model"];
  // restricted to the last layer, and the free energy, through the same flags
  EXPECT_EQ(run("llc " + network("mlp", "ce") + " --sample-only 2.weight,2.bias --draws 500").exit_code, 0);
  const Result fe = run("free-energy " + network("mlp", "ce") + " --rungs 4 --rung-draws 200");
  EXPECT_EQ(fe.exit_code, 0) << fe.output;
  EXPECT_NE(fe.output.find("thermodynamic integration: F ="), std::string::npos) << fe.output;
}

// --model mlp: a ReLU MLP trained here on its teacher's labels, with no flags but its
// shape: an estimate with every calibration target met and no warning, its
// parameters listed, and too few widths refused.
TEST(Networks, MlpFamilyThroughTheCommand) {
  const Result r = lambdahat::testing::run_shell(std::string(LAMBDAHAT_COMMAND) +
                                                 " llc --model mlp --widths 4,6,3 --n 300 --json - 2>/dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_NE(j["model"].get<std::string>().find("ReLU MLP 4-6-3"), std::string::npos) << j["model"];
  EXPECT_GT(j["llc"]["mean"].get<double>(), 0);
  EXPECT_LT(j["llc"]["mean"].get<double>(), 51);  // below the parameter count
  EXPECT_TRUE(j["theory"].is_null());
  EXPECT_EQ(j["settings"]["batch"], 0);  // small: full batch
  EXPECT_TRUE(j["calibration"]["targets_met"].get<bool>());
  EXPECT_TRUE(j["warnings"].empty()) << j["warnings"].dump();
  const Result params = run("params --model mlp --widths 4,6,3");
  ASSERT_EQ(params.exit_code, 0) << params.output;
  EXPECT_NE(params.output.find("51 parameters in 4 tensors"), std::string::npos) << params.output;
  const Result few = run("llc --model mlp --widths 4,3");
  EXPECT_EQ(few.exit_code, 2);
  EXPECT_NE(few.output.find("--model mlp needs at least three widths"), std::string::npos) << few.output;
}

// --checkpoints DIR: λ̂ at each checkpoint of the PyTorch run, in order of the step
// its metadata records, as a table, JSON and a figure.
TEST(Networks, LlcAlongTraining) {
  const std::string d = kNetworks + "mlp/", tmp = testing::TempDir();
  const Result r = run("llc --network " + d + "net.json --checkpoints " + d + "checkpoints --data " + d +
                       "data.safetensors --loss ce --epsilon 1e-3 --burnin 100 --draws 500 --chains 2 --json " + tmp +
                       "/along.json --svg " + tmp + "/along.svg");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(tmp + "/along.json");
  const nlohmann::json j = nlohmann::json::parse(in);
  ASSERT_EQ(j["checkpoints"].size(), 4u);
  const int steps[] = {10, 30, 100, 300};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(j["checkpoints"][i]["step"], steps[i]);
    EXPECT_FALSE(j["checkpoints"][i].contains("trace"));
  }
  // the loss falls along training, and the last checkpoint is the trained weights
  EXPECT_GT(j["checkpoints"][0]["init_loss"].get<double>(), j["checkpoints"][3]["init_loss"].get<double>());
  std::ifstream ref(kNetworks + "mlp/reference.json");
  EXPECT_NEAR(j["checkpoints"][3]["init_loss"].get<double>(), nlohmann::json::parse(ref)["value"].get<double>(), 1e-6);
  std::ifstream svg(tmp + "/along.svg");
  const std::string figure((std::istreambuf_iterator<char>(svg)), {});
  EXPECT_NE(figure.find("LLC along training"), std::string::npos);
  EXPECT_NE(r.output.find("step_0300.safetensors"), std::string::npos) << r.output;
  // a directory without checkpoints, and --svg alone, are usage errors
  EXPECT_EQ(run("llc " + network("mlp", "ce") + " --svg " + tmp + "/x.svg").exit_code, 2);
  std::string none = tmp + "/lambdahat_no_checkpoints_XXXXXX";
  ASSERT_NE(mkdtemp(none.data()), nullptr);
  const Result empty = run("llc --network " + d + "net.json --checkpoints " + none + " --data " + d +
                           "data.safetensors --loss ce");
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.output.find("holds no .safetensors file"), std::string::npos) << empty.output;
  std::filesystem::remove(none);
}

TEST(Networks, ParamsListsTheDescribedParameters) {
  const Result r = run("params --network " + kNetworks + "kinds/net.json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* name : {"0.weight", "2.weight", "4.weight", "8.0.weight", "8.2.bias", "12.bias"})
    EXPECT_NE(r.output.find(name), std::string::npos) << name << " in\n" << r.output;
  EXPECT_EQ(r.output.find("\n2.bias "), std::string::npos) << "layer 2 has no bias";
  EXPECT_NE(r.output.find("370 parameters"), std::string::npos) << r.output;
}

// Each refused before sampling: one line, exit 2, naming what does not fit.
TEST(Networks, InputThatDoesNotFitIsRefused) {
  const std::string mlp = kNetworks + "mlp/", kinds = kNetworks + "kinds/";
  const std::string tmp = testing::TempDir();
  const std::string bad = tmp + "/bad_net.json";
  std::ofstream(bad) << R"({"layers": [{"type": "linear", "in": 4, "out": 16}, {"type": "conv2d"}]})";
  const std::string inconsistent = tmp + "/inconsistent_net.json";
  std::ofstream(inconsistent) << R"({"layers": [{"type": "linear", "in": 4, "out": 16}, {"type": "linear", "in": 8, "out": 3}]})";
  const struct {
    std::string args, says;
  } cases[] = {
      {files(bad, mlp + "weights.safetensors", mlp + "data.safetensors") + " --loss ce",
       "layer 1: unknown type conv2d (convolutions, attention"},
      {files(inconsistent, mlp + "weights.safetensors", mlp + "data.safetensors") + " --loss ce",
       "layer 1 (linear): in is 8 but 16 features come in"},
      {files(mlp + "net.json", kinds + "weights.safetensors", mlp + "data.safetensors") + " --loss ce", "0.weight"},
      {files(mlp + "net.json", mlp + "weights.safetensors", kinds + "data.safetensors") + " --loss mse",
       "x has shape [200, 6] but the network's first layer (linear) takes (n, 4)"},
      {network("mlp", "mse"), "a squared loss needs float targets"},
      {files(mlp + "net.json", mlp + "weights.safetensors", mlp + "data.safetensors"), "--network needs --loss"},
      {"--network " + mlp + "net.json --data " + mlp + "data.safetensors --loss ce", "--network needs --checkpoint"},
      {"--network " + mlp + "net.json --checkpoint " + mlp + "weights.safetensors --loss ce", "--network needs --data"},
      {"--model dln " + network("mlp", "ce"), "--network describes the model: leave --model out"},
      {network("mlp", "ce") + " --widths 3,3", "--widths does not apply to --model network"},
      {network("mlp", "ce") + " --sample-only 5.weight", "--sample-only 5.weight is not a parameter"},
      {network("mlp", "nll"), "--loss"},
  };
  for (const auto& c : cases) {
    const Result r = run("llc " + c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.says), std::string::npos) << c.says << " in\n" << r.output;
    EXPECT_EQ(r.output.find("sampling"), std::string::npos) << r.output;
  }
}

}  // namespace
