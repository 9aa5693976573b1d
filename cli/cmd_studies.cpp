// The study subcommands: scaling, grok, tms and paper (cli/studies/).
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "report.hpp"
#include "studies/studies.hpp"

namespace lambdahat::cli {

namespace {
// --out, --seed and --threads, common to every study
template <class Options>
void add_run_flags(CLI::App* cmd, Options& o) {
  cmd->add_option("--out", o.out, "output directory")->required();
  cmd->add_option("--seed", o.first_seed, "first seed")->capture_default_str();
  cmd->add_option("--threads", o.threads, "threads (default: all)");
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
  cmd->add_option("--seeds", o->seeds, "seeds per configuration")->capture_default_str();
  cmd->add_flag("--quick", o->quick, "fewer configurations, smaller data, shorter chains");
  add_run_flags(cmd, *o);
  return [o] {
    if (o->threads > 0) set_num_threads(o->threads);
    run_scaling_study(*o);
    std::printf("results in %s (scaling.csv, summary.json, scaling_*.svg)\n", o->out.c_str());
    return 0;
  };
}

Runner add_grok_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("grok", "the grokking rate study (writes runs.csv, summary.json, SVG)");
  auto o = std::make_shared<GrokStudyOptions>();
  auto quick = std::make_shared<bool>(false);
  o->sampler = grok_sampler();
  cmd->add_option("--seeds", o->seeds, "number of runs")->capture_default_str();
  cmd->add_option("--steps", o->steps, "training steps per run")->capture_default_str();
  cmd->add_flag("--quick", *quick, "24 runs and a shorter LLC curve");
  add_run_flags(cmd, *o);
  return [o, quick] {
    if (o->threads > 0) set_num_threads(o->threads);
    if (*quick) make_quick(*o);
    const nlohmann::json s = run_grok_study(*o);
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
  cmd->add_option("--seeds", o->seeds, "number of runs")->capture_default_str();
  cmd->add_option("--epochs", o->epochs, "training epochs per run")->capture_default_str();
  cmd->add_option("--bias-std", o->bias_std, "sd of the initial bias (the study: 10)")->capture_default_str();
  cmd->add_flag("--quick", *quick, "1500 epochs, 40 LLC checkpoints, shorter chains");
  add_run_flags(cmd, *o);
  return [o, quick] {
    if (o->threads > 0) set_num_threads(o->threads);
    if (*quick) make_quick(*o);
    const nlohmann::json s = run_tms_study(*o);
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
  cmd->add_option("--seed", o->seed, "first seed")->capture_default_str();
  cmd->add_option("--threads", o->threads, "threads (default: all)");
  return [o] {
    if (o->threads > 0) set_num_threads(o->threads);
    const std::string index = run_paper(*o);
    std::printf("report: %s\n", index.c_str());
    return 0;
  };
}

}  // namespace lambdahat::cli
