// The lambdahat program: bad flags and impossible values give a one-line error and
// a non-zero exit; results go where asked.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/reference.hpp"

namespace {

namespace fs = std::filesystem;

using Result = lambdahat::testing::ShellResult;

Result run(const std::string& args) {
  return lambdahat::testing::run_shell(std::string(LAMBDAHAT_COMMAND) + " " + args + " 2>&1");
}

// The files of a study directory, each line but the units' "seconds" (the only field
// that differs between runs of the same study).
std::map<std::string, std::vector<std::string>> study_files(const fs::path& dir) {
  std::map<std::string, std::vector<std::string>> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path());
    std::vector<std::string>& lines = files[fs::relative(e.path(), dir).string()];
    for (std::string line; std::getline(in, line);)
      if (line.find("\"seconds\"") == std::string::npos) lines.push_back(line);
  }
  return files;
}

// An estimate's JSON without the time it took (the one field two runs differ in).
nlohmann::json json_without_seconds(const std::string& path) {
  std::ifstream in(path);
  nlohmann::json j = nlohmann::json::parse(in);
  j.erase("seconds");
  return j;
}

TEST(Command, BareCommandPrintsUsage) {
  const Result r = run("");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("error:"), std::string::npos) << r.output;
  for (const char* word : {"Usage: lambdahat", "Subcommands:", "llc", "free-energy", "params", "--help"})
    EXPECT_NE(r.output.find(word), std::string::npos) << word << " in\n" << r.output;
}

// --json - : the JSON alone on standard output (the summary goes to standard error),
// the trace thinned to at most 1000 evenly spaced draws unless --trace full.
TEST(Command, JsonToStandardOutputWithAThinnedTrace) {
  const std::string cmd = std::string(LAMBDAHAT_COMMAND) +
                          " llc --model polynomial --powers 1,1 --n 200 --epsilon 1e-3 --burnin 100 --draws 2500"
                          " --chains 2 --json -";
  const Result thinned = lambdahat::testing::run_shell(cmd + " 2>/dev/null");
  ASSERT_EQ(thinned.exit_code, 0) << thinned.output;
  const nlohmann::json j = nlohmann::json::parse(thinned.output);  // nothing else on standard output
  const auto& draws = j["trace"]["draws"];
  ASSERT_EQ(draws.size(), 1000u);
  EXPECT_EQ(draws.front(), 1);
  EXPECT_EQ(draws.back(), 2500);
  for (std::size_t i = 1; i < draws.size(); ++i) {
    const int step = draws[i].get<int>() - draws[i - 1].get<int>();
    EXPECT_TRUE(step == 2 || step == 3) << i << ": " << step;  // 2499 / 999 apart, rounded down
  }
  EXPECT_EQ(j["trace"]["mean"].size(), 1000u);
  const Result full = lambdahat::testing::run_shell(cmd + " --trace full 2>/dev/null");
  ASSERT_EQ(full.exit_code, 0);
  const nlohmann::json f = nlohmann::json::parse(full.output);
  ASSERT_EQ(f["trace"]["mean"].size(), 2500u);
  // the thinned trace is the full one at the listed draws
  for (std::size_t i = 0; i < draws.size(); ++i)
    EXPECT_EQ(j["trace"]["mean"][i], f["trace"]["mean"][draws[i].get<std::size_t>() - 1]) << i;
  // the summary went to standard error
  const Result summary = lambdahat::testing::run_shell(cmd + " 2>&1 >/dev/null");
  EXPECT_NE(summary.output.find("LLC"), std::string::npos) << summary.output;
  EXPECT_FALSE(fs::exists("-"));
  EXPECT_EQ(run("llc --trace some --json x.json").exit_code, 2);
}

TEST(Command, VersionNamesTheBuild) {
  const Result r = run("--version");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind(std::string("lambdahat ") + LAMBDAHAT_VERSION + "\n", 0), 0u) << r.output;
  EXPECT_NE(r.output.find(std::string(lambdahat::simd_instruction_set())), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(lambdahat::build::reference ? "path: reference" : "path: fast"), std::string::npos)
      << r.output;
}

// `--shard k/N` and `lambdahat merge` through the command: the merged study equals the
// one-process study file for file, apart from the time each unit took.
TEST(Command, ShardedStudyMergesToTheOneProcessResult) {
  std::string root = (fs::temp_directory_path() / "lambdahat_merge_XXXXXX").string();
  ASSERT_NE(mkdtemp(root.data()), nullptr);
  const std::string study = "scaling --family polynomial --quick --seeds 1";
  ASSERT_EQ(run(study + " --out " + root + "/single").exit_code, 0);
  for (int k = 0; k < 3; ++k) {
    const Result shard = run(study + " --out " + root + "/s" + std::to_string(k) + " --shard " + std::to_string(k) + "/3");
    ASSERT_EQ(shard.exit_code, 0) << shard.output;
    EXPECT_NE(shard.output.find("shard " + std::to_string(k) + "/3: 2 units"), std::string::npos) << shard.output;
  }
  // all three are needed
  const Result missing = run("merge --out " + root + "/merged " + root + "/s0 " + root + "/s2");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("shard 1/3 is missing"), std::string::npos) << missing.output;
  EXPECT_FALSE(fs::exists(root + "/merged/summary.json"));
  const Result merged = run("merge --out " + root + "/merged " + root + "/s0 " + root + "/s1 " + root + "/s2");
  ASSERT_EQ(merged.exit_code, 0) << merged.output;
  const auto one = study_files(root + "/single"), parts = study_files(root + "/merged");
  EXPECT_EQ(one.size(), parts.size());
  for (const auto& [path, lines] : one) {
    ASSERT_TRUE(parts.count(path)) << path;
    EXPECT_TRUE(parts.at(path) == lines) << path << " differs";
  }
  EXPECT_TRUE(one.count("summary.json") && one.count("scaling.csv"));
  fs::remove_all(root);
}

#ifdef LAMBDAHAT_MPI
std::string mpirun(int ranks) {
  return "mpirun --oversubscribe --allow-run-as-root -n " + std::to_string(ranks) + " " + LAMBDAHAT_COMMAND + " ";
}

// A study under mpirun with three ranks (rank 0 hands out the units, two workers
// compute them) writes what one process writes.
TEST(Mpi, StudyUnderMpirunEqualsOneProcess) {
  std::string root = (fs::temp_directory_path() / "lambdahat_mpi_XXXXXX").string();
  ASSERT_NE(mkdtemp(root.data()), nullptr);
  const std::string study = "scaling --family polynomial --quick --seeds 1";
  ASSERT_EQ(run(study + " --out " + root + "/single").exit_code, 0);
  const Result mpi = lambdahat::testing::run_shell(mpirun(3) + study + " --out " + root + "/mpi 2>&1");
  ASSERT_EQ(mpi.exit_code, 0) << mpi.output;
  // rank 0 alone reports
  std::size_t reports = 0;
  for (std::size_t at = mpi.output.find("results in"); at != std::string::npos; at = mpi.output.find("results in", at + 1))
    ++reports;
  EXPECT_EQ(reports, 1u) << mpi.output;
  const auto one = study_files(root + "/single"), ranks = study_files(root + "/mpi");
  EXPECT_EQ(one.size(), ranks.size());
  for (const auto& [path, lines] : one) {
    ASSERT_TRUE(ranks.count(path)) << path;
    EXPECT_TRUE(ranks.at(path) == lines) << path << " differs";
  }
  // the grokking study: its λ̂ curve follows from every run, and rank 0 computes it
  const std::string grok = "grok --seeds 3 --steps 200 --quick";
  ASSERT_EQ(run(grok + " --out " + root + "/grok_single").exit_code, 0);
  const Result grok_mpi = lambdahat::testing::run_shell(mpirun(3) + grok + " --out " + root + "/grok_mpi 2>&1");
  ASSERT_EQ(grok_mpi.exit_code, 0) << grok_mpi.output;
  EXPECT_TRUE(study_files(root + "/grok_single") == study_files(root + "/grok_mpi"));
  EXPECT_TRUE(fs::exists(root + "/grok_mpi/units/grok/curve_seed_000000.json"));
  // a sweep does not spread over ranks: it says so instead of running three times
  const Result sweep = lambdahat::testing::run_shell(mpirun(2) + "calibrate --model polynomial 2>&1");
  EXPECT_NE(sweep.exit_code, 0);
  EXPECT_NE(sweep.output.find("run lambdahat calibrate as one process"), std::string::npos) << sweep.output;
  fs::remove_all(root);
}

// llc under mpirun: chain c on rank c mod 3, every rank sees all traces and takes the
// calibration's decisions alike; the result is one process's, bit for bit.
TEST(Mpi, LlcChainsOverRanksEqualOneProcess) {
  std::string root = (fs::temp_directory_path() / "lambdahat_mpi_llc_XXXXXX").string();
  ASSERT_NE(mkdtemp(root.data()), nullptr);
  const std::string estimate = "llc --model dln --widths 5,3,5 --rank 1 --chains 4 --json ";
  const Result one = run(estimate + root + "/one.json");
  ASSERT_EQ(one.exit_code, 0) << one.output;
  const Result ranks = lambdahat::testing::run_shell(mpirun(3) + estimate + root + "/ranks.json 2>&1");
  ASSERT_EQ(ranks.exit_code, 0) << ranks.output;
  EXPECT_EQ(ranks.output.find("LLC  λ̂"), ranks.output.rfind("LLC  λ̂")) << "one summary, from rank 0";
  const nlohmann::json a = json_without_seconds(root + "/one.json"), b = json_without_seconds(root + "/ranks.json");
  EXPECT_EQ(a["llc"], b["llc"]);
  EXPECT_EQ(a["diagnostics"], b["diagnostics"]);
  EXPECT_EQ(a["chains"], b["chains"]);
  EXPECT_TRUE(a == b) << "the documents differ beyond the time taken";
  fs::remove_all(root);
}

// A rank killed mid-study (kill -9), a worker or rank 0 itself, stops the whole run
// without a damaged file; the same command run again resumes and ends with the
// one-process result.
TEST(Mpi, AKilledRankStopsTheRunAndTheRerunResumes) {
  std::string root = (fs::temp_directory_path() / "lambdahat_mpi_fault_XXXXXX").string();
  ASSERT_NE(mkdtemp(root.data()), nullptr);
  const std::string study = "scaling --family polynomial --quick --seeds 2 --out ";
  ASSERT_EQ(run(study + root + "/single").exit_code, 0);
  for (const int victim : {1, 0}) {
    const std::string out = root + "/run" + std::to_string(victim);
    // the victim is found by the rank Open MPI gives it in its environment
    const std::string kill_victim =
        "(sleep 2; for p in $(pgrep -f '" + out + "'); do "
        "tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=" + std::to_string(victim) +
        " && kill -9 $p; done) & ";
    const Result killed = lambdahat::testing::run_shell(kill_victim + mpirun(3) + study + out +
                                                        " 2>&1; status=$?; wait; exit $status");
    EXPECT_NE(killed.exit_code, 0) << "rank " << victim << ": " << killed.output;
    EXPECT_FALSE(fs::exists(out + "/summary.json")) << killed.output;
    // every file written is whole: finished units are valid JSON, no temporary is left
    std::int64_t finished = 0;
    for (const auto& e : fs::recursive_directory_iterator(out)) {
      if (!e.is_regular_file()) continue;
      EXPECT_EQ(e.path().extension(), ".json") << e.path();
      std::ifstream in(e.path());
      EXPECT_NO_THROW(nlohmann::json::parse(in)) << e.path();
      finished += e.path().parent_path().filename() == "scaling_polynomial";
    }
    const Result resumed = lambdahat::testing::run_shell(mpirun(3) + study + out + " 2>&1");
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    if (finished > 0) {
      EXPECT_NE(resumed.output.find("already done, resuming"), std::string::npos) << resumed.output;
    }
    EXPECT_TRUE(study_files(out) == study_files(root + "/single")) << "rank " << victim;
  }
  fs::remove_all(root);
}
#endif

// srun -n 4 of a process MPI does not connect would run the same work four times:
// the command says so and stops before any work. A shell inside an allocation
// (no SLURM_PROCID) is not a task and runs as usual.
TEST(Command, SlurmTasksWithoutMpiAreRefused) {
  const Result r = lambdahat::testing::run_shell("SLURM_NTASKS=4 SLURM_PROCID=2 " + std::string(LAMBDAHAT_COMMAND) +
                                                 " theory --model dln 2>&1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("SLURM started 4 tasks, but this process is alone in its MPI world"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("--shard k/N"), std::string::npos) << r.output;
  const Result shell = lambdahat::testing::run_shell("SLURM_NTASKS=4 " + std::string(LAMBDAHAT_COMMAND) +
                                                     " theory --model dln 2>&1");
  EXPECT_EQ(shell.exit_code, 0) << shell.output;
}

// llc --shard k/N runs a share of the chains; merge summarises all of them into the
// JSON one process writes (apart from the time taken).
TEST(Command, LlcShardsMergeToTheOneProcessEstimate) {
  std::string root = (fs::temp_directory_path() / "lambdahat_llc_shards_XXXXXX").string();
  ASSERT_NE(mkdtemp(root.data()), nullptr);
  const std::string estimate = "llc --model dln --widths 5,3,5 --rank 1 --epsilon 1e-4 --burnin 100 --draws 2000 ";
  ASSERT_EQ(run(estimate + "--json " + root + "/one.json").exit_code, 0);
  std::string files;
  for (int k = 0; k < 3; ++k) {
    const std::string file = root + "/s" + std::to_string(k) + ".json";
    const Result shard = run(estimate + "--shard " + std::to_string(k) + "/3 --json " + file);
    ASSERT_EQ(shard.exit_code, 0) << shard.output;
    files += " " + file;
  }
  const Result merged = run("merge --out " + root + "/merged.json" + files);
  ASSERT_EQ(merged.exit_code, 0) << merged.output;
  EXPECT_NE(merged.output.find("LLC  λ̂"), std::string::npos) << merged.output;
  EXPECT_TRUE(json_without_seconds(root + "/one.json") == json_without_seconds(root + "/merged.json"));
  // a shard cannot calibrate, and every shard is needed
  const Result calibrated = run("llc --model dln --shard 0/2 --json " + root + "/x.json");
  EXPECT_EQ(calibrated.exit_code, 2);
  EXPECT_NE(calibrated.output.find("--shard needs --epsilon, --burnin, --draws"), std::string::npos)
      << calibrated.output;
  const Result missing = run("merge --out " + root + "/m.json " + root + "/s0.json " + root + "/s2.json");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("shard 1/3 is missing"), std::string::npos) << missing.output;
  fs::remove_all(root);
}

TEST(Command, TheoryPrintsAndWritesJson) {
  const fs::path json = fs::temp_directory_path() / "lambdahat_theory.json";
  const Result r = run("theory --model dln --widths 5,3,5 --rank 0 --json " + json.string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("lambda = 6.5"), std::string::npos);
  EXPECT_NE(r.output.find("multiplicity = 2"), std::string::npos);
  std::ifstream in(json);
  nlohmann::json j;
  in >> j;
  EXPECT_EQ(j["lambda"], 6.5);
  EXPECT_EQ(j["multiplicity"], 2);
  EXPECT_EQ(run("theory --model regular --params 4").output.find("lambda = 2"), 0u);
  // every family works at its own defaults (the autoencoder's data rank once defaulted to an impossible 0)
  EXPECT_EQ(run("theory --model autoencoder").output, "lambda = 6\nmultiplicity = 1\n");
  EXPECT_EQ(run("theory --model tms --features 6 --kgon 6").output, "lambda = 8.5\nmultiplicity = 1\n");
}

TEST(Command, LlcWritesTheDocumentedJson) {
  const fs::path json = fs::temp_directory_path() / "lambdahat_llc.json";
  const Result r = run("llc --model polynomial --powers 0,1 --n 500 --draws 300 --chains 2 --json " + json.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("LLC"), std::string::npos);
  std::ifstream in(json);
  nlohmann::json j;
  in >> j;
  for (const char* key : {"llc", "init_loss", "n", "theory", "diagnostics", "settings", "trace", "seconds"})
    EXPECT_TRUE(j.contains(key)) << key;
  // each quantity once: the settings used, nβ resolved to n / log n
  for (const char* key : {"nbeta", "epsilon", "gamma"}) EXPECT_FALSE(j.contains(key)) << key;
  EXPECT_NEAR(j["settings"]["nbeta"].get<double>(), 500 / std::log(500.0), 1e-9);
  EXPECT_EQ(j["settings"]["epsilon"], j["calibration"]["epsilon"]["value"]);
  // the draws kept after the calibrated burn-in (taken from the 300 asked for), each
  // a point of the trace: fewer than 1000, so none is thinned out
  const int kept = j["settings"]["draws"].get<int>();
  EXPECT_GT(kept, 0);
  EXPECT_LE(kept, 300);
  EXPECT_EQ(j["trace"]["draws"].size(), static_cast<std::size_t>(kept));
  EXPECT_EQ(j["trace"]["draws"].back(), kept);
  for (const char* key : {"mean", "std", "per_chain"}) EXPECT_TRUE(j["llc"].contains(key)) << key;
  for (const char* key : {"rhat", "rhat_bulk", "rhat_tail", "ess_bulk", "ess_tail", "mcse", "mala_acceptance",
                          "below_init_fraction", "below_init_margin", "diverged_chains"})
    EXPECT_TRUE(j["diagnostics"].contains(key)) << key;
  for (const char* key : {"llc", "mcse", "rhat", "ess_bulk", "ess_tail"}) EXPECT_TRUE(j["chains"][0].contains(key)) << key;
  // --draws was given: ε and the burn-in were calibrated, the draws were not
  EXPECT_TRUE(j["calibration"]["epsilon"]["reason"].is_string());
  EXPECT_TRUE(j["calibration"]["burnin"]["value"].is_number());
  EXPECT_TRUE(j["calibration"]["draws"].is_null());
  EXPECT_GE(j["calibration"]["trials"].size(), 2u);
  EXPECT_NE(r.output.find("calibration: epsilon"), std::string::npos);
  EXPECT_TRUE(j["theory_at_n"].is_number());
  EXPECT_EQ(j["llc"]["per_chain"].size(), 2u);
  EXPECT_EQ(j["theory"]["lambda"], 0.5);
  EXPECT_EQ(j["n"], 500);
  // f = x w2 is regular: the exact finite-n target is 1/2 less nβ·mean(xy)²/mean(x²) (a
  // chi-square quantity of the data, a few hundredths here) and a little for γ
  ASSERT_TRUE(j["finite_n_target"].is_number());
  EXPECT_NEAR(j["finite_n_target"].get<double>(), 0.5, 0.06);
  EXPECT_NE(r.output.find("exact finite-n target"), std::string::npos);
}

// With no sampler flags, `lambdahat llc` lands within 15 % of theory on the linear
// families of slt/README.md's table, for several seeds (data, training and chains),
// with MALA accepting at least 0.85 of the steps.
TEST(Command, DefaultsLandWithinFifteenPercentOfTheory) {
  const fs::path json = fs::temp_directory_path() / "lambdahat_defaults.json";
  const std::vector<std::pair<std::string, int>> models = {{"dln --widths 5,3,5 --rank 0", 3},
                                                           {"rrr --widths 4,3,4 --rank 1", 3},
                                                           {"dln --widths 4,3,3,4 --rank 1", 3},
                                                           {"dln --widths 5,4,4,5 --rank 4", 2},
                                                           {"autoencoder --dim 6 --bottleneck 3 --rank 2", 2},
                                                           {"autoencoder --dim 6 --bottleneck 2 --rank 4", 2}};
  for (const auto& [model, seeds] : models)
    for (int seed = 0; seed < seeds; ++seed) {
      const std::string args = "llc --model " + model + " --seed " + std::to_string(seed);
      const Result r = run(args + " --json " + json.string());
      ASSERT_EQ(r.exit_code, 0) << args << ": " << r.output;
      std::ifstream in(json);
      nlohmann::json j;
      in >> j;
      const double lambda = j["theory"]["lambda"].get<double>();
      EXPECT_NEAR(j["llc"]["mean"].get<double>() / lambda, 1.0, 0.15) << args;
      EXPECT_EQ(j["diagnostics"]["diverged_chains"], 0) << args;
      EXPECT_GT(j["diagnostics"]["mala_acceptance"].get<double>(), 0.85) << args;
    }
}

TEST(Command, ExitCodesSayWhetherThereIsAnEstimate) {
  // every chain diverges: no estimate, exit 1
  const Result diverged = run("llc --model polynomial --powers 1 --n 500 --lr 10 --draws 50 --burnin 0 --chains 2");
  EXPECT_EQ(diverged.exit_code, 1) << diverged.output;
  EXPECT_NE(diverged.output.find("no estimate"), std::string::npos) << diverged.output;
  // an estimate with warnings (far too few draws): 0, and 3 under --strict
  const std::string short_run = "llc --model polynomial --powers 1 --n 500 --lr 1e-4 --draws 20 --burnin 0 --chains 2";
  const Result warned = run(short_run);
  EXPECT_EQ(warned.exit_code, 0) << warned.output;
  EXPECT_NE(warned.output.find("warning: "), std::string::npos);
  EXPECT_EQ(run(short_run + " --strict").exit_code, 3);
  // usage errors: 2, and --help documents the codes
  EXPECT_EQ(run("llc --preset nonsense").exit_code, 2);
  EXPECT_EQ(run("llc --model dln --preset seed-study").exit_code, 2);
  EXPECT_NE(run("llc --help").output.find("3 an estimate with warnings under --strict"), std::string::npos);
}

TEST(Command, CalibrateSweepsAndRecommends) {
  const fs::path json = fs::temp_directory_path() / "lambdahat_calibrate.json";
  const fs::path svg = fs::temp_directory_path() / "lambdahat_calibrate.svg";
  const Result r = run("calibrate --model polynomial --powers 1 --n 1000 --epsilons 1e-5,1e-4,1e-3,1e-2 --gammas 1,100 "
                       "--draws 400 --burnin 100 --chains 2 --json " + json.string() + " --svg " + svg.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("<- recommended"), std::string::npos) << r.output;
  std::ifstream in(json);
  nlohmann::json j;
  in >> j;
  ASSERT_EQ(j["points"].size(), 8u);  // 4 step sizes × 2 localizations
  for (const auto& p : j["points"])
    for (const char* key : {"epsilon", "gamma", "llc_mean", "mala_acceptance", "rhat", "ess_bulk", "stable"})
      EXPECT_TRUE(p.contains(key)) << key;
  ASSERT_TRUE(j["recommended"].is_number());
  const auto& best = j["points"][j["recommended"].get<std::size_t>()];
  EXPECT_GE(best["mala_acceptance"].get<double>(), 0.9);
  EXPECT_NE(j["recommendation"].get<std::string>().find("use epsilon"), std::string::npos);
  std::ifstream figure(svg);
  const std::string text((std::istreambuf_iterator<char>(figure)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("<svg"), std::string::npos);
  EXPECT_NE(text.find("γ = 100"), std::string::npos);
  EXPECT_NE(text.find("acceptance ≥ 0.9"), std::string::npos);
}

TEST(Command, BadInputGivesOneLineErrorsAndNonZeroExit) {
  for (const std::string args : {"llc --model dln --widths 5,2,5 --rank 3", "llc --model polynomial --lr -1",
                                 "llc --model nope", "llc --bogus-flag 3", "theory --model autoencoder --relu",
                                 "llc --model grok --p 1", "scaling --family polynomial",
                                 "llc --model tms --features 6 --kgon 4", "llc --model dln --kgon 5",
                                 "theory --model tms --kgon 5 --hidden 3"}) {
    const Result r = run(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(r.output.rfind("error: ", 0), 0u) << args << ": " << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << args << ": " << r.output;
  }
  // a checkpoint that does not fit the model
  lambdahat::Generator gen(1);
  lambdahat::DeepLinearNetwork other({3, 2, 3}, gen);
  const fs::path ckpt = fs::temp_directory_path() / "lambdahat_other.safetensors";
  lambdahat::save_checkpoint(other, ckpt.string());
  const Result r = run("llc --model dln --widths 5,3,5 --checkpoint " + ckpt.string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("error: load_state_dict: tensor 0.weight has shape (2,3) but DeepLinearNetwork expects (3,5)"),
            std::string::npos)
      << r.output;
}

}  // namespace
