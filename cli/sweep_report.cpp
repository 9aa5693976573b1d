// The output of `lambdahat calibrate`: the sweep as a table, as JSON and as a figure.
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "report.hpp"
#include "studies/svg.hpp"

namespace lambdahat::cli {

namespace {
nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
}  // namespace

std::string sweep_table(const SweepResult& sweep, const std::optional<LearningCoefficient>& theory,
                        const std::string& description) {
  std::ostringstream os;
  char line[256];
  os << description << "\n";
  if (theory) os << "  theory λ = " << theory->lambda << ", multiplicity " << theory->multiplicity << "\n";
  std::snprintf(line, sizeof line, "  %10s %7s %8s %10s %9s %10s %7s %8s  %s\n", "epsilon", "gamma", "nbeta", "llc",
                "mcse", "acceptance", "R-hat", "ESS", "note");
  os << line;
  for (std::size_t i = 0; i < sweep.points.size(); ++i) {
    const SweepPoint& p = sweep.points[i];
    std::snprintf(line, sizeof line, "  %10.3g %7.3g %8.4g %10.4g %9.2g %10.3f %7.3f %8.0f  %s%s\n", p.epsilon,
                  p.localization, p.nbeta, p.llc_mean, p.mcse, p.mala_acceptance, p.rhat, p.ess_bulk, p.note.c_str(),
                  sweep.recommended == i ? " <- recommended" : "");
    os << line;
  }
  os << "  " << sweep.recommendation << "\n";
  return os.str();
}

nlohmann::json to_json(const SweepResult& sweep, const std::optional<LearningCoefficient>& theory) {
  nlohmann::json points = nlohmann::json::array();
  for (const SweepPoint& p : sweep.points)
    points.push_back({{"epsilon", p.epsilon},
                      {"gamma", p.localization},
                      {"nbeta", p.nbeta},
                      {"llc_mean", number(p.llc_mean)},
                      {"llc_std", number(p.llc_std)},
                      {"mcse", number(p.mcse)},
                      {"mala_acceptance", number(p.mala_acceptance)},
                      {"rhat", number(p.rhat)},
                      {"ess_bulk", number(p.ess_bulk)},
                      {"below_init_fraction", p.below_init_fraction},
                      {"diverged_chains", p.diverged_chains},
                      {"stable", p.stable},
                      {"note", p.note}});
  return {{"points", points},
          {"recommended", sweep.recommended ? nlohmann::json(*sweep.recommended) : nlohmann::json(nullptr)},
          {"recommendation", sweep.recommendation},
          {"target_acceptance", kTargetAcceptance},
          {"theory", theory ? nlohmann::json{{"lambda", theory->lambda}, {"multiplicity", theory->multiplicity}}
                            : nlohmann::json(nullptr)},
          {"version", kVersion}};
}

std::string sweep_svg(const SweepResult& sweep, const std::optional<LearningCoefficient>& theory,
                      const std::string& description) {
  Plot plot("λ̂ against the step size: " + description, "epsilon", "λ̂ (filled: MALA acceptance ≥ 0.9)");
  plot.log_x();
  // one line per (γ, nβ); the cells that reach the target acceptance again as markers
  std::map<std::pair<double, double>, std::pair<Series, Series>> lines;
  for (const SweepPoint& p : sweep.points) {
    if (!std::isfinite(p.llc_mean)) continue;
    auto& [all, accepted] = lines[{p.localization, p.nbeta}];
    std::ostringstream label;
    label << "γ = " << p.localization;
    if (sweep.points.front().nbeta != sweep.points.back().nbeta) label << ", nβ = " << p.nbeta;
    all.label = label.str();
    all.style = Series::Style::line;
    all.x.push_back(p.epsilon);
    all.y.push_back(p.llc_mean);
    all.error.push_back(std::isfinite(p.llc_std) ? p.llc_std : 0);
    if (p.stable && p.mala_acceptance >= kTargetAcceptance) {
      accepted.label = all.label + ": acceptance ≥ 0.9";
      accepted.style = Series::Style::markers;
      accepted.x.push_back(p.epsilon);
      accepted.y.push_back(p.llc_mean);
    }
  }
  for (auto& [key, pair] : lines) {
    plot.add(pair.first);
    if (!pair.second.x.empty()) plot.add(pair.second);
  }
  if (theory && !sweep.points.empty()) {
    double lo = sweep.points.front().epsilon, hi = lo;
    for (const SweepPoint& p : sweep.points) lo = std::min(lo, p.epsilon), hi = std::max(hi, p.epsilon);
    plot.add(Series{"theory λ", {lo, hi}, {theory->lambda, theory->lambda}, {}, Series::Style::dashed, ""});
  }
  return plot.svg();
}

}  // namespace lambdahat::cli
