// The study subcommands: scaling, grok, tms and paper (cli/studies/).
#include <algorithm>
#include <filesystem>
#include <cstdio>
#include <limits>
#include <memory>

#include "cluster.hpp"
#include "commands.hpp"
#include "flags.hpp"
#include "report.hpp"
#include "studies/shards.hpp"
#include "studies/studies.hpp"

namespace lambdahat::cli {

namespace {
// --shard k/N: a share of the study's units, for job arrays (studies/shards.hpp)
template <class Options>
void add_shard_flag(CLI::App* cmd, Options& o) {
  add_shard_option(*cmd, o.shard, "run only the units i with i mod N = k and skip the tables; finish with lambdahat merge");
}

// --out, --seed, --threads and --shard, common to every study
template <class Options>
void add_run_flags(CLI::App* cmd, Options& o) {
  cmd->add_option("--out", o.out, "output directory")->required();
  cmd->add_option("--seed", o.first_seed, "first seed")
      ->check(integer_in(0, std::numeric_limits<std::int64_t>::max() / 2))->capture_default_str();
  cmd->add_option("--threads", o.threads, "threads (default: all cores)")->check(integer_in(1, kMaxThreads));
  add_shard_flag(cmd, o);
}

// Before any unit runs: the output directory can be written, the threads are
// capped, and a shard records its command line for `lambdahat merge`.
template <class Options>
void prepare_run(const Options& o, const char* flag = "--out") {
  if (!cluster::is_writer()) return;  // under MPI, rank 0 alone touches the files
  check_writable_dir(o.out, flag);
  if (o.threads > 0) set_num_threads(effective_threads(o.threads, 1 << 20));
  if (o.shard.active()) record_shard(o.out, o.shard, command_args());
}

// A shard's closing line, in place of the study's results.
int shard_done(const nlohmann::json& result, const std::string& out) {
  std::printf("shard %s: %lld units in %s; combine the shards with lambdahat merge\n",
              result["shard"].get<std::string>().c_str(), static_cast<long long>(result["units"].get<std::int64_t>()),
              out.c_str());
  return 0;
}

void print_fit(const nlohmann::json& summary) {
  if (summary["fit_linear"].is_object()) {
    const auto c = summary["fit_linear"]["coefficients"];
    std::printf("linear fit ΔF = %.4g + %.4g·x, R² = %.3f, slope %g%% CI [%.4g, %.4g]\n", c[0].get<double>(),
                c[1].get<double>(), summary["fit_linear"]["r2"].get<double>(),
                100 * summary["fit_linear"]["confidence"].get<double>(),
                summary["fit_linear"]["slope_ci"][0].get<double>(), summary["fit_linear"]["slope_ci"][1].get<double>());
  } else {
    std::printf("not enough runs for a fit\n");
  }
  if (summary["fit_quadratic"].is_object())
    std::printf("quadratic fit R² = %.3f\n", summary["fit_quadratic"]["r2"].get<double>());
}
}  // namespace

Runner add_scaling_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("scaling", "LLC against problem difficulty, with theory (writes scaling.csv, summary.json, SVG)");
  auto o = std::make_shared<ScalingStudyOptions>();
  cmd->add_option("--family", o->family, "polynomial, dln or autoencoder")->required();
  cmd->add_option("--seeds", o->seeds, "seeds per configuration")->check(integer_in(1, 100000))->capture_default_str();
  cmd->add_flag("--quick", o->quick, "fewer configurations, smaller data, shorter chains");
  add_run_flags(cmd, *o);
  return [o] {
    prepare_run(*o);
    const nlohmann::json s = run_scaling_study(*o);
    if (!cluster::is_writer()) return 0;  // under MPI, rank 0 reports
    if (o->shard.active()) return shard_done(s, o->out);
    std::printf("results in %s (scaling.csv, summary.json, scaling_*.svg)\n", o->out.c_str());
    return 0;
  };
}

Runner add_grok_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("grok", "the grokking rate study (writes runs.csv, summary.json, SVG)");
  auto o = std::make_shared<GrokStudyOptions>();
  auto quick = std::make_shared<bool>(false);
  o->sampler = grok_sampler();
  cmd->add_option("--seeds", o->seeds, "number of runs")->check(integer_in(1, 1000000))->capture_default_str();
  cmd->add_option("--steps", o->recipe.steps, "training steps per run")->check(integer_in(100, 100000000))->capture_default_str();
  cmd->add_flag("--quick", *quick, "24 runs and a shorter LLC curve");
  add_run_flags(cmd, *o);
  return [o, quick] {
    prepare_run(*o);
    if (*quick) make_quick(*o);
    const nlohmann::json s = run_grok_study(*o);
    if (!cluster::is_writer()) return 0;  // under MPI, rank 0 reports
    if (o->shard.active()) return shard_done(s, o->out);
    std::printf("%lld runs, %lld grokked, %lld skipped\n", static_cast<long long>(s["counts"]["seeds"].get<std::int64_t>()),
                static_cast<long long>(s["counts"]["grokked"].get<std::int64_t>()),
                static_cast<long long>(s["counts"]["skipped"].get<std::int64_t>()));
    print_fit(s);
    std::printf("results in %s (runs.csv, summary.json, grok_*.svg)\n", o->out.c_str());
    return 0;
  };
}

Runner add_tms_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("tms", "the superposition study (writes runs.csv, trajectory.csv, summary.json, SVG)");
  auto o = std::make_shared<TMSStudyOptions>();
  auto quick = std::make_shared<bool>(false);
  o->sampler = tms_sampler();
  cmd->add_option("--seeds", o->seeds, "number of runs")->check(integer_in(1, 1000000))->capture_default_str();
  cmd->add_option("--epochs", o->epochs, "training epochs per run")->check(integer_in(10, 100000000))->capture_default_str();
  cmd->add_option("--bias-std", o->bias_std, "sd of the initial bias (the study: 10)")
      ->check(number_in(0, 1e6))->capture_default_str();
  cmd->add_flag("--quick", *quick, "1500 epochs, 40 LLC checkpoints, shorter chains");
  add_run_flags(cmd, *o);
  return [o, quick] {
    prepare_run(*o);
    if (*quick) make_quick(*o);
    const nlohmann::json s = run_tms_study(*o);
    if (!cluster::is_writer()) return 0;  // under MPI, rank 0 reports
    if (o->shard.active()) return shard_done(s, o->out);
    std::printf("%lld runs, %lld transitions\n", static_cast<long long>(s["counts"]["seeds"].get<std::int64_t>()),
                static_cast<long long>(s["counts"]["transitions"].get<std::int64_t>()));
    print_fit(s);
    std::printf("results in %s (runs.csv, trajectory.csv, summary.json, tms_*.svg)\n", o->out.c_str());
    return 0;
  };
}

Runner add_paper_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("paper", "every study and an HTML report (index.html)");
  auto o = std::make_shared<PaperOptions>();
  cmd->add_flag("--quick", o->quick, "a scale that finishes in minutes");
  cmd->add_option("--out", o->out, "output directory")->required();
  cmd->add_option("--seed", o->seed, "first seed")
      ->check(integer_in(0, std::numeric_limits<std::int64_t>::max() / 2))->capture_default_str();
  cmd->add_option("--threads", o->threads, "threads (default: all cores)")->check(integer_in(1, kMaxThreads));
  add_shard_flag(cmd, *o);
  return [o] {
    prepare_run(*o);
    const std::string index = run_paper(*o);
    if (!cluster::is_writer()) return 0;
    if (o->shard.active()) {
      std::printf("shard %s of every study in %s; combine the shards with lambdahat merge\n", o->shard.text().c_str(),
                  o->out.c_str());
      return 0;
    }
    std::printf("report: %s\n", index.c_str());
    return 0;
  };
}

Runner add_merge_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "merge", "combine the shards of a study or of llc run with --shard k/N, and finish the study or the estimate");
  auto out = std::make_shared<std::string>();
  auto shards = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--out", *out, "the study's output directory, or llc's JSON file")->required();
  cmd->add_option("shards", *shards, "the shards' output directories (a study) or --json files (llc): all N")->required();
  return [out, shards] {
    // llc shards are files, study shards directories
    const bool files = std::all_of(shards->begin(), shards->end(), [](const std::string& s) {
      return std::filesystem::is_regular_file(s);
    });
    std::vector<std::string> finish;
    if (files) {
      check_writable_file(*out, "--out");
      LlcMerge merged = merge_llc_shards(*out, *shards);
      merged_traces() = std::move(merged.traces);
      finish = std::move(merged.finish);
    } else {
      check_writable_dir(*out, "--out");
      finish = merge_shards(*out, *shards);
    }
    std::string line;
    for (const std::string& w : finish) line += " " + w;
    std::printf("merged %zu shards into %s; finishing: lambdahat%s\n", shards->size(), out->c_str(), line.c_str());
    std::fflush(stdout);
    return run_lambdahat(finish);
  };
}

}  // namespace lambdahat::cli
