// The hostile-input suite: the command (and the example programs) run with bad
// values, out-of-range and overflowing numbers, flags that do not apply, unusable
// paths. Each case must end before any work with exit 2 and one line "error: …"
// naming what is wrong, and leave its working directory as it was: no result, no
// temporary file. A second test reads every subcommand's --help and fails on any
// numeric flag that shows no range, so a flag added without one is caught.
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/reference.hpp"

namespace {

namespace fs = std::filesystem;

using Result = lambdahat::testing::ShellResult;

Result run_in(const fs::path& dir, const std::string& program, const std::string& args) {
  return lambdahat::testing::run_shell("cd '" + dir.string() + "' && '" + program + "' " + args + " 2>&1 </dev/null");
}

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(dir)) names.push_back(e.path().lexically_relative(dir).string());
  std::sort(names.begin(), names.end());
  return names;
}

struct Case {
  std::string args;     // run in a scratch directory holding fifo, dir/ and old.json
  std::string expect;   // the error line must contain this
};

// Every case runs in a directory with a FIFO, a subdirectory and an existing result
// file (old.json), which must survive unchanged.
void expect_refused(const std::string& program, const std::vector<Case>& cases) {
  // a directory of its own: ctest runs the tests of this file side by side
  std::string name = (fs::temp_directory_path() / "lambdahat_hostile_XXXXXX").string();
  ASSERT_NE(mkdtemp(name.data()), nullptr);
  const fs::path dir(name);
  for (const Case& c : cases) {
    fs::remove_all(dir);
    fs::create_directories(dir / "dir");
    ASSERT_EQ(mkfifo((dir / "fifo").c_str(), 0600), 0);
    std::ofstream(dir / "old.json") << "{\"kept\": true}\n";
    const std::vector<std::string> before = listing(dir);
    const Result r = run_in(dir, program, c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_EQ(r.output.rfind("error: ", 0), 0u) << c.args << "\n" << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.args << ": expected '" << c.expect << "' in\n" << r.output;
    EXPECT_EQ(listing(dir), before) << c.args << " left files behind or removed some";
    std::ifstream old(dir / "old.json");
    EXPECT_EQ(std::string((std::istreambuf_iterator<char>(old)), {}), "{\"kept\": true}\n") << c.args;
  }
  fs::remove_all(dir);
}

TEST(Hostile, TheCommandRefusesBadInputBeforeAnyWork) {
  const std::vector<Case> cases = {
      // numbers out of range, overflowing, not finite, not numbers
      {"llc --draws 99999999999999999999", "--draws: 99999999999999999999 does not fit"},
      {"llc --draws 0", "--draws: 0 is out of range"},
      {"llc --draws 1.5", "--draws: 1.5 is not an integer"},
      {"llc --draws 9223372036854775807 --every 2", "--draws"},
      {"llc --burnin 9223372036854775807 --draws 2", "--burnin"},
      {"llc --burnin 1000000000 --draws 1000000000 --every 1000", "steps per chain"},
      {"llc --chains 0", "--chains: 0"},
      {"llc --chains 1000000000", "--chains"},
      {"llc --every 0", "--every: 0"},
      {"llc --lr 0", "--epsilon: 0"},
      {"llc --lr 1e-300", "--epsilon: 1e-300"},
      {"llc --epsilon abc", "--epsilon: abc is not a number"},
      {"llc --gamma -1", "--gamma: -1"},
      {"llc --gamma nan", "--gamma: nan is not finite"},
      {"llc --gamma inf", "--gamma: inf is not finite"},
      {"llc --nbeta 0", "--nbeta: 0"},
      {"llc --nbeta 1e999", "--nbeta"},
      {"llc --burnin -5", "--burnin: -5"},
      {"llc --batch -1", "--batch: -1"},
      {"llc --mala-every -2", "--mala-every: -2"},
      {"llc --threads -1", "--threads: -1"},
      {"llc --threads 0", "--threads: 0"},
      {"llc --threads 100000", "--threads: 100000"},
      {"llc --max-steps 5", "--max-steps: 5"},
      {"llc --max-memory 0", "--max-memory: 0"},
      {"llc --seed -1", "--seed: -1"},
      {"llc --seed 99999999999999999999", "--seed"},
      {"llc --model dln --train-steps -1", "--train-steps: -1"},
      {"llc --model dln --train-steps 0", "--train-steps: 0"},
      {"llc --n 0", "--n: 0"},
      {"llc --model polynomial --powers 1000", "--powers: 1000"},
      {"llc --model polynomial --powers -1", "--powers: -1"},
      // flags that do not apply to the model
      {"llc --model grok --n 7", "--n does not apply to --model grok"},
      {"llc --model dln --powers 2", "--powers does not apply to --model dln"},
      {"llc --model polynomial --widths 3,3", "--widths does not apply to --model polynomial"},
      {"llc --model polynomial --train-steps 10", "--train-steps does not apply to --model polynomial"},
      {"llc --model tms --p 7", "--p does not apply to --model tms"},
      {"llc --model dln --kgon 5", "--kgon applies to --model tms only"},
      {"llc --model tms --features 6 --kgon 7", "--kgon 7 must be in [5, 6]"},
      {"llc --model tms --kgon 5 --hidden 3", "--kgon needs --hidden 2"},
      {"llc --model dln --widths 5,3,5 --rank 9", "--rank 9 is impossible"},
      {"llc --model autoencoder --rank 0", "--rank (the data rank s) must be in [1, 6]"},
      {"llc --model nope", "unknown model nope"},
      {"llc --preset nonsense", "--preset must be seed-study"},
      // sizes beyond memory
      {"llc --model dln --widths 100000,100000", "above --max-memory 8 GiB"},
      {"llc --model grok --p 100000", "above --max-memory"},
      {"llc --model dln --widths 5,3,5 --max-memory 0.000001", "above --max-memory 1e-06 GiB"},
      // outputs checked before the work
      {"llc --json /proc/x/y.json", "--json /proc/x/y.json: the directory /proc/x does not exist"},
      {"llc --json missing/x.json", "the directory missing does not exist"},
      {"llc --json dir", "--json dir is a directory"},
      {"calibrate --svg /proc/x/a.svg", "--svg /proc/x/a.svg"},
      {"calibrate --epsilons 0", "--epsilons: 0"},
      {"calibrate --gammas nan", "--gammas: nan"},
      {"calibrate --nbetas -3", "--nbetas: -3"},
      // inputs that are no regular file
      {"llc --model dln --checkpoint fifo", "--checkpoint fifo is not a regular file"},
      {"llc --model dln --checkpoint dir", "--checkpoint dir is not a regular file"},
      {"llc --model grok --checkpoint fifo", "--checkpoint fifo is not a regular file"},
      {"llc --model dln --checkpoint missing.safetensors", "--checkpoint missing.safetensors does not exist"},
      // theory
      {"theory --model dln --widths 4000000000,4000000000,4000000000 --rank 3", "--widths: 4000000000"},
      {"theory --model autoencoder --dim 99999999999", "--dim: 99999999999"},
      {"theory --model regular --params 0", "--params: 0"},
      {"theory --model dln --params 3", "--params applies to --model regular only"},
      {"theory --model dln --json dir", "--json dir is a directory"},
      // the studies
      {"grok --threads 100000 --seeds 2 --steps 300 --out res", "--threads: 100000"},
      {"grok --seeds 0 --out res", "--seeds: 0"},
      {"grok --steps -5 --out res", "--steps: -5"},
      {"grok --seeds 2 --out /proc/x/res", "--out /proc/x/res cannot be created"},
      {"grok --seeds 2 --out old.json", "--out old.json exists and is not a directory"},
      {"tms --epochs 0 --out res", "--epochs: 0"},
      {"tms --bias-std nan --out res", "--bias-std: nan"},
      {"scaling --family polynomial --seeds 0 --out res", "--seeds: 0"},
      {"paper --seed -1 --out res", "--seed: -1"},
      {"paper --threads 0 --out res", "--threads: 0"},
      {"llc --bogus-flag 3", "bogus-flag"},
  };
  expect_refused(LAMBDAHAT_COMMAND, cases);
  RecordProperty("cases", static_cast<int>(cases.size()));
}

// A result that cannot reach standard output is a failure, not exit 0.
TEST(Hostile, AFailedWriteToStandardOutputIsAnError) {
  const Result r =
      lambdahat::testing::run_shell(std::string(LAMBDAHAT_COMMAND) + " theory --model dln 2>&1 >/dev/full");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output, "error: writing to standard output failed\n");
}

#ifdef LAMBDAHAT_TRAIN_GROKKING
TEST(Hostile, TheExamplesRefuseBadFlags) {
  expect_refused(LAMBDAHAT_TRAIN_GROKKING, {{"--log-every 0", "--log-every: 0"},
                                            {"--checkpoint-every 0", "--checkpoint-every: 0"},
                                            {"--steps -1", "--steps: -1"},
                                            {"--p 99999999999999999999", "--p: 99999999999999999999 does not fit"},
                                            {"--lr nan", "--lr: nan"},
                                            {"--seed -1", "--seed: -1"},
                                            {"--unknown 3", "unknown option --unknown"}});
  expect_refused(LAMBDAHAT_TRAIN_TMS, {{"--log-every 0", "--log-every: 0"},
                                       {"--epochs 0", "--epochs: 0"},
                                       {"--k 9", "--k: 9"},
                                       {"--momentum 2", "--momentum: 2"}});
}
#endif

// Every numeric flag shows its range in --help ("INT:in [1, 1024]"); a flag added
// without integer_in or number_in fails here.
TEST(Hostile, EveryNumericFlagHasARange) {
  const fs::path dir = fs::temp_directory_path();
  int numeric = 0;
  for (const std::string sub : {"theory", "llc", "calibrate", "scaling", "grok", "tms", "paper"}) {
    const Result help = run_in(dir, LAMBDAHAT_COMMAND, sub + " --help");
    ASSERT_EQ(help.exit_code, 0) << sub;
    std::istringstream lines(help.output);
    std::string line;
    while (std::getline(lines, line)) {
      const auto flag = line.find("--");
      if (flag == std::string::npos || line.find("--help") != std::string::npos) continue;
      const bool is_numeric = line.find(" INT") != std::string::npos || line.find(" UINT") != std::string::npos ||
                              line.find(" FLOAT") != std::string::npos;
      if (!is_numeric) continue;
      ++numeric;
      EXPECT_TRUE(line.find(":in [") != std::string::npos || line.find(":in (") != std::string::npos)
          << sub << ": a numeric flag without a range: " << line;
    }
  }
  EXPECT_GT(numeric, 40);
}

}  // namespace
