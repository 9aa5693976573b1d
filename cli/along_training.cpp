#include "along_training.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "report.hpp"
#include "studies/svg.hpp"

namespace lambdahat::cli {

namespace fs = std::filesystem;

std::vector<TrainingCheckpoint> training_checkpoints(const std::string& dir) {
  std::error_code ec;
  check(fs::is_directory(dir, ec), "lambdahat", "--checkpoints ", dir, " is not a directory");
  std::vector<TrainingCheckpoint> list;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file() || e.path().extension() != ".safetensors") continue;
    TrainingCheckpoint c{e.path().string(), -1};
    const auto metadata = load_safetensors(c.path).metadata;
    if (const auto s = metadata.find("step"); s != metadata.end()) {
      try {
        c.step = std::stoll(s->second);
      } catch (const std::exception&) {
        fail("lambdahat", "--checkpoints: ", c.path, " gives step '", s->second, "', not a number");
      }
    } else {
      // the last run of digits in the name: step_000300.safetensors
      const std::string name = e.path().stem().string();
      std::size_t end = name.size();
      while (end > 0 && !std::isdigit(static_cast<unsigned char>(name[end - 1]))) --end;
      std::size_t begin = end;
      while (begin > 0 && std::isdigit(static_cast<unsigned char>(name[begin - 1]))) --begin;
      check(begin < end, "lambdahat", "--checkpoints: ", c.path,
            " gives no step (no \"step\" in its metadata and no number in its name)");
      c.step = std::stoll(name.substr(begin, end - begin));
    }
    list.push_back(c);
  }
  check(!list.empty(), "lambdahat", "--checkpoints ", dir, " holds no .safetensors file");
  std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
  for (std::size_t i = 1; i < list.size(); ++i)
    check(list[i].step != list[i - 1].step, "lambdahat", "--checkpoints: ", list[i - 1].path, " and ", list[i].path,
          " both give step ", list[i].step);
  return list;
}

int estimate_along_training(ProblemSpec spec, const SamplerConfig& config, const LLCOptions& options,
                            const std::vector<TrainingCheckpoint>& checkpoints, const AlongTrainingOutput& out) {
  nlohmann::json rows = nlohmann::json::array();
  Series llc{"λ̂ ± MCSE", {}, {}, {}, Series::Style::line_markers, ""};
  bool all = true;
  std::string description;
  std::printf("%10s %12s %12s %10s %8s %9s  %s\n", "step", "loss at w", "llc", "± mcse", "R-hat", "warnings",
              "checkpoint");
  for (const TrainingCheckpoint& c : checkpoints) {
    spec.checkpoint = c.path;
    Problem problem = make_problem(spec);
    description = problem.description;
    const LLCResult r = estimate_llc(*problem.model, problem.loss, problem.data, config, options);
    all = all && r.has_estimate();
    std::printf("%10lld %12.6g %12.5g %10.3g %8.4f %9zu  %s\n", static_cast<long long>(c.step), r.init_loss, r.mean,
                r.diagnostics.mcse, r.diagnostics.rhat, r.warnings.size(), c.path.c_str());
    std::fflush(stdout);
    nlohmann::json row = to_json(r, std::nullopt);
    row.erase("trace");
    row["checkpoint"] = c.path;
    row["step"] = c.step;
    rows.push_back(row);
    if (r.has_estimate()) {
      llc.x.push_back(static_cast<double>(c.step));
      llc.y.push_back(r.mean);
      llc.error.push_back(r.diagnostics.mcse);
    }
  }
  if (!out.json.empty())
    write_output(out.json, nlohmann::json{{"model", description}, {"checkpoints", rows}, {"version", kVersion}}.dump(2) +
                               "\n");
  if (!out.svg.empty()) {
    Plot plot("LLC along training", "training step", "λ̂ (error bars: MCSE)");
    plot.add(llc);
    plot.save(out.svg);
  }
  return all ? 0 : 1;
}

}  // namespace lambdahat::cli
