// The lambdahat subcommands end to end at a tiny scale: files, columns, consistency,
// resuming, and the detection rules on synthetic curves.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "support/reference.hpp"
#include "studies/shards.hpp"
#include "studies/studies.hpp"

namespace lambdahat::cli {
namespace {

namespace fs = std::filesystem;

std::vector<std::vector<std::string>> read_csv(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    // RFC 4180: every line ends with CRLF
    EXPECT_TRUE(!line.empty() && line.back() == '\r') << path << ": " << line;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> cells;
    std::string cellv;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      else if (c == ',' && !quoted) {
        cells.push_back(cellv);
        cellv.clear();
      } else cellv += c;
    }
    cells.push_back(cellv);
    rows.push_back(cells);
  }
  return rows;
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  nlohmann::json j;
  in >> j;
  return j;
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("lambdahat_test_" + name);
  fs::remove_all(dir);
  return dir;
}

// The CSV as Python's csv module and pandas.read_csv with its defaults read it (the
// Debian python3-pandas the Makefile installs): both must see our header and rows.
void expect_python_reads(const fs::path& path, const std::vector<std::vector<std::string>>& ours) {
  const std::string script =
      "import csv, sys, pandas\n"
      "p = sys.argv[1]\n"
      "rows = list(csv.reader(open(p, newline='')))\n"
      "frame = pandas.read_csv(p)\n"
      "print(len(rows), len(rows[0]), len(frame), len(frame.columns), '|'.join(frame.columns))\n"
      "print('|'.join(rows[-1]))\n";
  const testing::ShellResult python =
      testing::run_shell("/usr/bin/python3 -c \"" + script + "\" '" + path.string() + "' 2>&1");
  ASSERT_EQ(python.exit_code, 0) << python.output;
  const std::string& out = python.output;
  std::string header, last;
  for (std::size_t i = 0; i < ours[0].size(); ++i) header += (i ? "|" : "") + ours[0][i];
  for (std::size_t i = 0; i < ours.back().size(); ++i) last += (i ? "|" : "") + ours.back()[i];
  const std::string n = std::to_string(ours.size()), m = std::to_string(ours[0].size()),
                    data_rows = std::to_string(ours.size() - 1);
  EXPECT_EQ(out, n + " " + m + " " + data_rows + " " + m + " " + header + "\n" + last + "\n") << path;
}

bool is_svg(const fs::path& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  return text.rfind("<svg", 0) == 0 && text.find("</svg>") != std::string::npos;
}

TEST(GrokDetection, RulesOfTheStudy) {
  auto curve = [](int n, int first_one, double value) {
    std::vector<double> v(static_cast<std::size_t>(n), 0.2);
    for (int k = first_one - 1; k >= 0 && k < n; ++k) v[static_cast<std::size_t>(k)] = value;
    return v;
  };
  // train accuracy 1 from checkpoint 5, validation >= 0.95 from checkpoint 40
  GrokDetection d = detect_grokking(curve(100, 5, 1.0), curve(100, 40, 0.96));
  EXPECT_EQ(d.t_train, 5);
  EXPECT_EQ(d.t_val, 40);
  EXPECT_EQ(d.skipped, "");
  // a gap of exactly 20 checkpoints is skipped, 21 is kept
  EXPECT_NE(detect_grokking(curve(100, 5, 1.0), curve(100, 25, 0.95)).skipped, "");
  EXPECT_EQ(detect_grokking(curve(100, 5, 1.0), curve(100, 26, 0.95)).skipped, "");
  EXPECT_EQ(detect_grokking(curve(100, 200, 1.0), curve(100, 40, 0.96)).skipped, "train accuracy never reached 1");
  EXPECT_EQ(detect_grokking(curve(100, 5, 1.0), curve(100, 40, 0.949)).skipped,
            "validation accuracy never reached 0.95");
  // generalising before fitting is a negative gap: skipped
  EXPECT_NE(detect_grokking(curve(100, 50, 1.0), curve(100, 10, 0.99)).skipped, "");
  // 0.999 is not 1
  EXPECT_EQ(detect_grokking(curve(100, 5, 0.999), curve(100, 40, 0.99)).t_train, -1);
}

TEST(TransitionDetection, FindsTheDropsOfAPiecewiseCurve) {
  // log-loss: flat at 0 until epoch 30, drops to −1 by epoch 40, flat until 300,
  // drops to −2 by 400, flat to 2000
  std::vector<double> loss(2001);
  for (int e = 0; e <= 2000; ++e) {
    double y = 0;
    if (e > 30) y -= std::min(1.0, (e - 30) / 10.0);
    if (e > 300) y -= std::min(1.0, (e - 300) / 100.0);
    loss[static_cast<std::size_t>(e)] = std::exp(y);
  }
  const auto t = detect_transitions(loss);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_NEAR(t[0].drop_start, 30, 4);
  EXPECT_NEAR(t[0].drop_end, 40, 4);
  EXPECT_NEAR(t[1].drop_start, 300, 20);
  EXPECT_NEAR(t[1].drop_end, 400, 25);
  EXPECT_EQ(t[1].plateau_start, t[0].drop_end);
  // a flat curve has none; a tiny wiggle is not a transition
  EXPECT_TRUE(detect_transitions(std::vector<double>(100, 1.0)).empty());
}

GrokStudyOptions tiny_grok(const fs::path& out) {
  GrokStudyOptions o;
  o.out = out.string();
  o.sampler = grok_sampler();
  make_tiny(o);
  return o;
}

TEST(GrokStudy, WritesConsistentFilesAndResumes) {
  const fs::path out = fresh_dir("grok");
  GrokStudyOptions o = tiny_grok(out);
  o.seeds = 2;
  run_grok_study(o);
  o.seeds = 3;  // more seeds: the first two are reused
  const nlohmann::json summary = run_grok_study(o);

  const auto rows = read_csv(out / "runs.csv");
  ASSERT_EQ(rows.size(), 4u);
  expect_python_reads(out / "runs.csv", rows);
  {
    // the header comes first; what made the file is in settings.json beside it
    std::ifstream csv(out / "runs.csv");
    std::string first;
    std::getline(csv, first);
    EXPECT_EQ(first.rfind("seed,t_train,", 0), 0u);
    const nlohmann::json settings = read_json(out / "settings.json");
    EXPECT_EQ(settings["study"], "grok");
    EXPECT_EQ(settings["version"], "0.1.0");
    EXPECT_TRUE(settings["settings"].contains("sampler"));
  }
  EXPECT_EQ(rows[0], (std::vector<std::string>{"seed", "t_train", "t_val", "skipped", "train_loss_before",
                                                "train_loss_after", "llc_before", "llc_before_std", "llc_after",
                                                "llc_after_std", "delta_llc", "delta_f"}));
  int used = 0;
  const double n = std::floor(0.8 * 17 * 17);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (!r[3].empty()) continue;
    ++used;
    // ΔF recomputed from the logged losses and λ̂
    const double lb = std::stod(r[4]), la = std::stod(r[5]), b = std::stod(r[6]), a = std::stod(r[8]);
    EXPECT_NEAR(std::stod(r[11]), n * (la - lb) + std::log(n) * (a - b), 1e-4 * (1 + std::abs(std::stod(r[11]))));
    EXPECT_NEAR(std::stod(r[10]), a - b, 1e-6);
    EXPECT_GT(std::stoi(r[2]) - std::stoi(r[1]), o.min_gap);
  }
  EXPECT_GE(used, 1) << "the tiny setting should grok at least once";
  EXPECT_EQ(summary["counts"]["seeds"], 3);
  EXPECT_EQ(summary["counts"]["used_in_fit"], used);
  EXPECT_EQ(summary["version"], "0.1.0");
  EXPECT_TRUE(summary["settings"].contains("sampler"));
  for (const char* f : {"grok_rate_law.svg", "grok_delta_llc.svg", "grok_seed_accuracy.svg", "grok_seed_loss.svg",
                        "grok_seed_llc.svg"})
    EXPECT_TRUE(is_svg(out / f)) << f;
  const nlohmann::json s2 = read_json(out / "summary.json");
  EXPECT_EQ(s2["counts"], summary["counts"]);

  // an interrupted run: one unit lost; the rerun redoes it and nothing else, and
  // gets the same table (the same seed gives the same result)
  const std::string before = [&] {
    std::ifstream in(out / "runs.csv");
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }();
  const fs::path unit1 = out / "units" / "grok" / "seed_000001.json";
  const auto kept_time = fs::last_write_time(out / "units" / "grok" / "seed_000000.json");
  fs::remove(unit1);
  run_grok_study(o);
  EXPECT_TRUE(fs::exists(unit1));
  EXPECT_EQ(fs::last_write_time(out / "units" / "grok" / "seed_000000.json"), kept_time);
  std::ifstream in(out / "runs.csv");
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), {}), before);

  // other settings in the same directory are refused
  const std::int64_t steps = o.recipe.steps;
  o.recipe.steps = 1000;
  EXPECT_NE(testing::error_of([&] { run_grok_study(o); }).find("other settings"), std::string::npos);

  // a unit file that is valid JSON but no result: the error names the file
  o.recipe.steps = steps;
  {
    std::ofstream damaged(unit1);
    damaged << "{}";
  }
  const std::string error = testing::error_of([&] { run_grok_study(o); });
  EXPECT_NE(error.find(unit1.string()), std::string::npos) << error;
  EXPECT_NE(error.find("delete it to redo that unit"), std::string::npos) << error;
}

TEST(TMSStudy, WritesTrajectoryAndTransitions) {
  const fs::path out = fresh_dir("tms");
  TMSStudyOptions o;
  o.out = out.string();
  o.sampler = tms_sampler();
  make_tiny(o);
  const nlohmann::json summary = run_tms_study(o);
  const auto runs = read_csv(out / "runs.csv");
  expect_python_reads(out / "runs.csv", runs);
  EXPECT_EQ(runs[0], (std::vector<std::string>{"seed", "transition", "plateau_start", "drop_start", "drop_end", "dwell",
                                                "plateau_before", "loss_before", "loss_after", "llc_before",
                                                "llc_after", "delta_llc", "delta_f"}));
  EXPECT_EQ(static_cast<std::int64_t>(runs.size()) - 1, summary["counts"]["transitions"].get<std::int64_t>());
  const auto traj = read_csv(out / "trajectory.csv");
  expect_python_reads(out / "trajectory.csv", traj);
  EXPECT_EQ(traj[0], (std::vector<std::string>{"seed", "epoch", "train_loss", "llc", "llc_std", "below_init_fraction"}));
  // 4 linear and 4 log-spaced epochs in [1, 300] (1 and 300 shared): 7 per seed
  EXPECT_EQ(traj.size(), 1u + 2u * 7u);
  for (std::size_t i = 1; i < runs.size(); ++i) {
    const auto& r = runs[i];
    if (r[9].empty() || r[10].empty() || r[12].empty()) continue;
    const double df = 1000 * (std::stod(r[8]) - std::stod(r[7])) + std::log(1000.0) * (std::stod(r[10]) - std::stod(r[9]));
    EXPECT_NEAR(std::stod(r[12]), df, 1e-4 * (1 + std::abs(df)));
  }
  for (const char* f : {"tms_loss.svg", "tms_llc.svg", "tms_rate_law.svg"}) EXPECT_TRUE(is_svg(out / f)) << f;
}

TEST(ScalingStudy, TableAgainstTheory) {
  const fs::path out = fresh_dir("scaling");
  ScalingStudyOptions o;
  o.out = out.string();
  o.family = "polynomial";
  o.seeds = 1;
  o.quick = true;
  const nlohmann::json summary = run_scaling_study(o);
  const auto rows = read_csv(out / "scaling.csv");
  expect_python_reads(out / "scaling.csv", rows);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"family", "sweep", "variant", "value", "seed", "llc_mean", "llc_std",
                                                "theory_lambda", "multiplicity", "finite_n_target", "ess", "rhat",
                                                "mala_acceptance", "below_init_fraction", "diverged_chains",
                                                "train_loss"}));
  EXPECT_EQ(rows.size(), 1u + 6u);  // k = 1..3, one- and two-parameter
  EXPECT_EQ(summary["configurations"].size(), 6u);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const double k = std::stod(rows[i][3]);
    EXPECT_NEAR(std::stod(rows[i][7]), 1 / (2 * k), 1e-7);  // theory column (8 digits in the file)
    // the exact finite-n target: below λ with multiplicity 2 (the (m − 1) log log n term)
    const double finite_n = std::stod(rows[i][9]);
    EXPECT_GT(finite_n, 0);
    if (rows[i][8] == "2") {
      EXPECT_LT(finite_n, 0.9 / (2 * k));
    }
  }
  for (const auto& c : summary["configurations"])
    EXPECT_NEAR(c["ratio_to_finite_n"].get<double>(), c["llc_mean"].get<double>() / c["finite_n_target"].get<double>(),
                1e-12);
  // the one-parameter regular case lands near 1/2
  for (const auto& c : summary["configurations"])
    if (c["variant"] == "f = x w^k" && c["value"] == 1) {
      EXPECT_NEAR(c["llc_mean"].get<double>(), 0.5, 0.1);
    }
  EXPECT_TRUE(is_svg(out / "scaling_polynomial_power_k.svg"));
  EXPECT_NE(testing::error_of([&] {
              o.family = "nope";
              o.out = (out / "x").string();
              run_scaling_study(o);
            }).find("unknown family nope"),
            std::string::npos);
}

}  // namespace
}  // namespace lambdahat::cli

namespace lambdahat::cli {
namespace {

TEST(Paper, ReportShowsEveryFigureAndTable) {
  const fs::path out = fresh_dir("paper");
  PaperOptions o;
  o.out = out.string();
  o.tiny = true;
  const std::string index = run_paper(o);
  std::ifstream in(index);
  const std::string html((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(html.find("<!DOCTYPE html>"), std::string::npos);
  // every image the page shows exists and is an SVG
  std::size_t at = 0;
  int images = 0;
  while ((at = html.find("<img src=\"", at)) != std::string::npos) {
    at += 10;
    const std::string src = html.substr(at, html.find('"', at) - at);
    EXPECT_TRUE(is_svg(out / src)) << src;
    ++images;
  }
  EXPECT_GE(images, 9);
  for (const char* text : {"LLC scaling", "Grokking", "superposition", "<table>", "finite-n target"})
    EXPECT_NE(html.find(text), std::string::npos) << text;
  EXPECT_EQ(html.find("invocations"), std::string::npos);
  // run again: every unit is reused, and the page states the time of both runs
  run_paper(o);
  std::ifstream again(index);
  const std::string resumed((std::istreambuf_iterator<char>(again)), {});
  EXPECT_NE(resumed.find("summed over 2 invocations"), std::string::npos);
}

// Every file below `dir`, by path relative to it, with its bytes.
std::map<std::string, std::string> files_below(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    files[fs::relative(e.path(), dir).string()] = std::string((std::istreambuf_iterator<char>(in)), {});
  }
  return files;
}

// A study run as N shards and merged writes what one process writes, byte for byte:
// the grokking study (whose λ̂ curve is computed at the merge, from all the runs) in
// three shards, the superposition study in two.
TEST(Shards, MergedShardsEqualOneProcess) {
  const fs::path root = fresh_dir("shards");
  const auto check_study = [&](const std::string& name, std::int64_t count, const auto& run) {
    const fs::path single = root / (name + "_single"), merged = root / (name + "_merged");
    run(single.string(), Shard{});
    std::vector<std::string> shard_dirs;
    for (std::int64_t k = 0; k < count; ++k) {
      const Shard shard{.index = k, .count = count};
      const fs::path dir = root / (name + "_shard" + std::to_string(k));
      fs::create_directories(dir);
      record_shard(dir.string(), shard, {name, "--seeds", "3", "--out", dir.string(), "--shard", shard.text()});
      const nlohmann::json r = run(dir.string(), shard);
      EXPECT_EQ(r["shard"], shard.text());
      EXPECT_FALSE(fs::exists(dir / "summary.json")) << "a shard writes no tables";
      shard_dirs.push_back(dir.string());
    }
    const std::vector<std::string> finish = merge_shards(merged.string(), shard_dirs);
    EXPECT_EQ(finish, (std::vector<std::string>{name, "--seeds", "3", "--out", merged.string()}));
    run(merged.string(), Shard{});
    const auto one = files_below(single), parts = files_below(merged);
    ASSERT_FALSE(one.empty());
    EXPECT_EQ(one.size(), parts.size()) << name;
    for (const auto& [path, bytes] : one) {
      ASSERT_TRUE(parts.count(path)) << name << ": " << path << " is missing after the merge";
      EXPECT_TRUE(parts.at(path) == bytes) << name << ": " << path << " differs";
    }
  };
  check_study("grok", 3, [](const std::string& out, const Shard& shard) {
    GrokStudyOptions o = tiny_grok(out);
    o.shard = shard;
    return run_grok_study(o);
  });
  check_study("tms", 2, [](const std::string& out, const Shard& shard) {
    TMSStudyOptions o;
    o.out = out;
    o.sampler = tms_sampler();
    make_tiny(o);
    o.shard = shard;
    return run_tms_study(o);
  });
}

TEST(Shards, MergeRefusesIncompleteOrMixedShards) {
  const fs::path root = fresh_dir("shard_errors");
  const auto shard_dir = [&](const std::string& name, const std::string& shard, const std::vector<std::string>& args) {
    const fs::path dir = root / name;
    fs::create_directories(dir);
    record_shard(dir.string(), parse_shard(shard), args);
    return dir.string();
  };
  const std::string a = shard_dir("a", "0/2", {"tms", "--seeds", "4", "--out", "a", "--shard", "0/2"});
  const std::string b = shard_dir("b", "1/2", {"tms", "--seeds", "5", "--out", "b", "--shard", "1/2"});
  const std::string c = shard_dir("c", "1/2", {"tms", "--shard=1/2", "--seeds", "4", "--out=c"});
  const std::string out = (root / "merged").string();
  EXPECT_NE(testing::error_of([&] { merge_shards(out, {a}); }).find("shard 1/2 is missing"), std::string::npos);
  EXPECT_NE(testing::error_of([&] { merge_shards(out, {a, b}); }).find("another command"), std::string::npos);
  EXPECT_NE(testing::error_of([&] { merge_shards(out, {a, c, c}); }).find("given twice"), std::string::npos);
  EXPECT_NE(testing::error_of([&] { merge_shards(out, {(root / "none").string()}); }).find("not a directory"),
            std::string::npos);
  EXPECT_NE(testing::error_of([&] { merge_shards(a, {a, c}); }).find("is one of the shards"), std::string::npos);
  // the flags' spellings do not matter: a and c are the two halves of one command
  EXPECT_EQ(merge_shards(out, {a, c}), (std::vector<std::string>{"tms", "--seeds", "4", "--out", out}));
  for (const char* bad : {"", "1", "2/2", "-1/2", "1/0", "a/b", "0/100001"})
    EXPECT_THROW(parse_shard(bad), Error) << bad;
  EXPECT_EQ(parse_shard("2/3").text(), "2/3");
}

}  // namespace
}  // namespace lambdahat::cli
