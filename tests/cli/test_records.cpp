// What the command reads back and reports about a model: the record a checkpoint
// carries (model flags and seed), `lambdahat params`, --sample-only's names checked
// before training, and `lambdahat free-energy`.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "support/reference.hpp"

namespace {

namespace fs = std::filesystem;
using Result = lambdahat::testing::ShellResult;

Result run(const std::string& args) {
  return lambdahat::testing::run_shell(std::string(LAMBDAHAT_COMMAND) + " " + args + " 2>&1");
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

fs::path temp_dir(const std::string& name) {
  std::string root = (fs::temp_directory_path() / (name + "_XXXXXX")).string();
  if (mkdtemp(root.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return root;
}

// A checkpoint saved by llc --save-checkpoint records the model flags and the seed;
// llc --checkpoint with no model flags rebuilds the same data set and lands on the
// same L_n(w*), and a --seed that differs from the record gets a warning.
TEST(Records, CheckpointCarriesTheSeedAndModelFlags) {
  const fs::path dir = temp_dir("lambdahat_record");
  const std::string ck = (dir / "w.safetensors").string();
  const std::string fixed = " --epsilon 1e-3 --burnin 50 --draws 200 --chains 2";
  const Result made = run("llc --model dln --widths 3,2,3 --rank 1 --n 400 --seed 5 --train-steps 800 --save-checkpoint " +
                          ck + fixed + " --json " + (dir / "made.json").string());
  ASSERT_EQ(made.exit_code, 0) << made.output;
  ASSERT_TRUE(fs::exists(ck));
  const Result again = run("llc --checkpoint " + ck + fixed + " --json " + (dir / "again.json").string());
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(again.output.find("differs from the checkpoint"), std::string::npos) << again.output;
  const nlohmann::json a = read_json(dir / "made.json"), b = read_json(dir / "again.json");
  EXPECT_EQ(a["init_loss"], b["init_loss"]);  // the same data set and the same weights
  EXPECT_EQ(a["model"], b["model"]);
  EXPECT_EQ(b["settings"]["seed"], 5);
  EXPECT_EQ(a["llc"]["mean"], b["llc"]["mean"]);  // and the same sampling seed
  // another seed draws another data set: said, with what to do
  const Result other = run("llc --checkpoint " + ck + " --seed 0" + fixed);
  EXPECT_NE(other.output.find("warning: --seed 0 differs from the checkpoint's seed 5"), std::string::npos)
      << other.output;
  EXPECT_NE(other.output.find("leave --seed out"), std::string::npos) << other.output;
  // a checkpoint without a record: said, since the data set may not be the one it
  // was trained on
  const std::string bare = (dir / "bare.safetensors").string();
  {
    lambdahat::Generator gen(1);
    lambdahat::Sequential net;
    net.add(lambdahat::Linear(3, 2, gen, lambdahat::LinearOptions{.bias = false}));
    net.add(lambdahat::Linear(2, 3, gen, lambdahat::LinearOptions{.bias = false}));
    lambdahat::save_checkpoint(net, bare);
  }
  const Result unrecorded = run("llc --model dln --widths 3,2,3 --n 400 --checkpoint " + bare + fixed);
  EXPECT_NE(unrecorded.output.find("does not record the seed it was trained with"), std::string::npos)
      << unrecorded.output;
  // a record of another model is refused before any work
  const Result wrong = run("llc --model tms --checkpoint " + ck);
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.output.find("was made with --model dln"), std::string::npos) << wrong.output;
  fs::remove_all(dir);
}

TEST(Records, ParamsListsNamesAndShapes) {
  const Result r = run("params --model dln --widths 5,3,5");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("0.weight"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[3, 5]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[5, 3]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("30 parameters in 2 tensors"), std::string::npos) << r.output;
  const Result grok = run("params --model grok --p 7");
  ASSERT_EQ(grok.exit_code, 0) << grok.output;
  EXPECT_NE(grok.output.find("embedding.weight"), std::string::npos) << grok.output;
  EXPECT_EQ(run("params --model dln --p 7").exit_code, 2);  // a flag that does not apply
}

// A wrong --sample-only name stops the run before the model is trained, and the
// message lists the valid names.
TEST(Records, SampleOnlyNamesAreCheckedBeforeTraining) {
  const Result r = run("llc --model dln --widths 5,3,5 --sample-only 0.weight,nope");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--sample-only nope is not a parameter"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("0.weight, 1.weight"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("training"), std::string::npos) << r.output;
  // a valid restricted run is not compared with the whole model's λ
  const Result ok = run("llc --model dln --widths 3,2,3 --n 300 --train-steps 300 --sample-only 1.weight "
                        "--epsilon 1e-3 --burnin 50 --draws 200 --chains 2");
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(ok.output.find("theory λ"), std::string::npos) << ok.output;
}

// --sampler sgnht with no settings: its step h = √ε from the SGLD calibration, burn-in
// and draws by the same precision targets. On the 5-3-5 network at rank 0 (λ = 6.5;
// the leading-order target at this n is 6.28, 0.97 of λ) two seeds land within 10 %
// of λ with every target met and no warning.
TEST(Records, SgnhtHasItsOwnDefaults) {
  for (const char* seed : {"0", "1"}) {
    const std::string cmd = std::string(LAMBDAHAT_COMMAND) + " llc --model dln --widths 5,3,5 --rank 0 --sampler sgnht"
                            " --seed " + seed + " --json -";
    const fs::path err = fs::temp_directory_path() / (std::string("lambdahat_sgnht_") + seed + ".txt");
    const Result r = lambdahat::testing::run_shell(cmd + " 2>" + err.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const nlohmann::json j = nlohmann::json::parse(r.output);
    EXPECT_NEAR(j["llc"]["mean"].get<double>() / 6.5, 1.0, 0.10) << "seed " << seed;
    EXPECT_TRUE(j["calibration"]["targets_met"].get<bool>()) << "seed " << seed;
    EXPECT_LE(j["diagnostics"]["rhat"].get<double>(), 1.01) << "seed " << seed;
    EXPECT_TRUE(j["warnings"].empty()) << j["warnings"].dump();
    const std::string reason = j["calibration"]["epsilon"]["reason"].get<std::string>();
    EXPECT_EQ(reason.rfind("SGNHT step h = √ε", 0), 0u) << reason;
    EXPECT_EQ(j["settings"]["sampler"], "sgnht");
    // the diagnostics line has no MALA acceptance for a sampler without one (the
    // calibration line does: it speaks of the SGLD pilots)
    std::ifstream in(err);
    const std::string summary((std::istreambuf_iterator<char>(in)), {});
    fs::remove(err);
    const std::size_t at = summary.find("  diagnostics:");
    ASSERT_NE(at, std::string::npos) << summary;
    const std::string line = summary.substr(at, summary.find('\n', at) - at);
    EXPECT_EQ(line.find("MALA"), std::string::npos) << line;
    EXPECT_EQ(summary.find("nan"), std::string::npos) << summary;
  }
}

// free-energy on a deep linear network: the local estimate, WBIC and the integral,
// each with an error, in the summary and the JSON.
TEST(Records, FreeEnergyGivesThreeEstimatesWithErrors) {
  const fs::path dir = temp_dir("lambdahat_free_energy");
  const Result r = run("free-energy --model dln --widths 3,2,3 --rank 1 --n 500 --train-steps 800 --rungs 16 "
                       "--rung-draws 1000 --json " + (dir / "f.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* line : {"local:  F̂ = n L_n(w*) + λ̂ log n", "WBIC:", "thermodynamic integration: F ="})
    EXPECT_NE(r.output.find(line), std::string::npos) << line << " in\n" << r.output;
  const nlohmann::json j = read_json(dir / "f.json");
  const double n = 500, nl = n * j["loss_at_w"].get<double>();
  const auto& local = j["local"];
  EXPECT_NEAR(local["value"].get<double>(), nl + local["llc"].get<double>() * std::log(n), 1e-9);
  EXPECT_NEAR(local["error"].get<double>(), local["llc_mcse"].get<double>() * std::log(n), 1e-12);
  // WBIC samples at nβ = n / log n, as the LLC does: n L_n(w*) + λ̂ log n = n E[L_n],
  // the same quantity, so the two agree within their errors
  const auto& wbic = j["wbic"];
  EXPECT_NEAR(wbic["nbeta"].get<double>(), n / std::log(n), 1e-9);
  EXPECT_NEAR(wbic["value"].get<double>(), local["value"].get<double>(),
              4 * std::hypot(wbic["error"].get<double>(), local["error"].get<double>()));
  const auto& ti = j["thermodynamic_integration"];
  EXPECT_EQ(ti["rungs"].size(), 17u);
  EXPECT_EQ(ti["rungs"][0]["beta"], 0.0);
  EXPECT_EQ(ti["rungs"][16]["beta"], 1.0);
  EXPECT_GT(ti["sampling_error"].get<double>(), 0);
  EXPECT_TRUE(ti["quadrature_error"].is_number());
  // F(1) lies between n L_n(w*) (the integrand's floor) and E_prior[n L_n] (its ceiling)
  EXPECT_GT(ti["value"].get<double>(), nl);
  EXPECT_LT(ti["value"].get<double>(), ti["rungs"][0]["expectation"].get<double>());
  // checked before any work
  for (const char* bad : {"--gamma 0", "--rungs 1", "--sample-only 0.weight", "--rung-draws 0"}) {
    const Result e = run(std::string("free-energy --model dln ") + bad);
    EXPECT_EQ(e.exit_code, 2) << bad << ": " << e.output;
    EXPECT_EQ(e.output.find("training"), std::string::npos) << bad << ": " << e.output;
  }
  fs::remove_all(dir);
}

}  // namespace
