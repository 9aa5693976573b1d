#include "report.hpp"

#include "cluster.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <sstream>

namespace lambdahat::cli {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

Progress::Progress(std::string label, std::int64_t total)
    : label_(std::move(label)), total_(std::max<std::int64_t>(total, 1)), terminal_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::update(std::int64_t done) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
  if (terminal_) {
    if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    const double left = rate > 0 ? static_cast<double>(total_ - done) / rate : NAN;
    const int width = 30, filled = static_cast<int>(fraction * width);
    std::fprintf(stderr, "\r%s [%s%s] %3d%%  %.0f/s  %s left   ", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), static_cast<int>(fraction * 100), rate,
                 format_duration(left).c_str());
    std::fflush(stderr);
  } else {
    // quiet: one line per 25 %
    const std::int64_t quarter = static_cast<std::int64_t>(fraction * 4);
    if (quarter > last_reported_ && quarter < 4) {
      last_reported_ = quarter;
      if (quarter > 0)
        std::fprintf(stderr, "%s: %d%% (%s)\n", label_.c_str(), static_cast<int>(quarter * 25),
                     format_duration(elapsed).c_str());
    }
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (terminal_) std::fprintf(stderr, "\r%s done in %s%s\n", label_.c_str(), format_duration(elapsed).c_str(),
                              std::string(40, ' ').c_str());
}

namespace {
nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
template <class T>
nlohmann::json optional(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
}  // namespace

nlohmann::json to_json(const SamplerConfig& c) {
  return {{"sampler", to_string(c.kind)},
          {"epsilon", optional(c.epsilon)},
          {"nbeta", c.nbeta > 0 ? nlohmann::json(c.nbeta) : nlohmann::json(nullptr)},  // null: n / log n
          {"gamma", c.localization},
          {"weight_decay", c.weight_decay},
          {"noise_level", c.noise_level},
          {"chains", c.num_chains},
          {"draws", optional(c.num_draws)},
          {"burnin", optional(c.num_burnin_steps)},
          {"every", c.num_steps_bw_draws},
          {"batch", c.batch_size},
          {"mala_every", c.mala_every},
          {"seed", c.seed}};
}

nlohmann::json to_json(const Calibration& c) {
  nlohmann::json trials = nlohmann::json::array();
  for (const auto& t : c.trials) {
    nlohmann::json j = {{"epsilon", t.epsilon}, {"test", t.test}, {"passed", t.passed}};
    if (t.test == "acceptance") {
      j["acceptance"] = number(t.acceptance);
      j["diverged_chains"] = t.diverged;
    } else {
      j["llc_difference"] = number(t.difference);
      j["llc_difference_se"] = number(t.difference_se);
      j["llc_at_half_epsilon"] = number(t.llc_half);
    }
    trials.push_back(j);
  }
  return {{"epsilon", c.epsilon_chosen ? nlohmann::json{{"value", c.epsilon}, {"reason", c.epsilon_reason}}
                                       : nlohmann::json(nullptr)},
          {"burnin", c.burnin_chosen ? nlohmann::json{{"value", c.burnin}, {"reason", c.burnin_reason}}
                                     : nlohmann::json(nullptr)},
          {"draws", c.draws_chosen ? nlohmann::json{{"value", c.draws}, {"reason", c.draws_reason}}
                                   : nlohmann::json(nullptr)},
          {"trials", trials},
          {"pilot_gradient_evaluations_per_chain", c.pilot_gradient_evaluations},
          {"rounds", c.rounds},
          {"targets_met", c.targets_met},
          {"failed", c.failed},
          {"summary", c.summary()}};
}

std::vector<std::size_t> evenly_spaced(std::size_t size, std::size_t limit) {
  std::vector<std::size_t> at;
  if (limit == 0 || size <= limit) {
    for (std::size_t i = 0; i < size; ++i) at.push_back(i);
    return at;
  }
  // limit points from the first to the last, rounded down to whole indices
  if (limit == 1) return {size - 1};
  for (std::size_t k = 0; k < limit; ++k) at.push_back(k * (size - 1) / (limit - 1));
  return at;
}

nlohmann::json to_json(const LLCResult& r, const std::optional<LearningCoefficient>& theory, TraceDetail trace) {
  nlohmann::json per_chain = nlohmann::json::array(), chains = nlohmann::json::array();
  for (const auto& c : r.chains) {
    per_chain.push_back(number(c.llc));
    chains.push_back({{"llc", number(c.llc)},
                      {"mcse", number(c.mcse)},
                      {"rhat", number(c.rhat)},
                      {"ess_bulk", number(c.ess_bulk)},
                      {"ess_tail", number(c.ess_tail)},
                      {"mala_acceptance", number(c.mala_acceptance)},
                      {"below_init_fraction", c.below_init_fraction},
                      {"diverged", c.diverged},
                      {"divergence", c.divergence}});
  }
  nlohmann::json j = {
      {"llc", {{"mean", number(r.mean)}, {"std", number(r.std)}, {"mcse", number(r.diagnostics.mcse)},
               {"per_chain", per_chain}}},
      {"init_loss", r.init_loss},
      {"n", r.n},
      {"theory", theory ? nlohmann::json{{"lambda", theory->lambda}, {"multiplicity", theory->multiplicity}}
                        : nlohmann::json(nullptr)},
      {"diagnostics",
       {{"rhat", number(r.diagnostics.rhat)},
        {"rhat_bulk", number(r.diagnostics.rhat_bulk)},
        {"rhat_tail", number(r.diagnostics.rhat_tail)},
        {"ess_bulk", number(r.diagnostics.ess_bulk)},
        {"ess_tail", number(r.diagnostics.ess_tail)},
        {"mcse", number(r.diagnostics.mcse)},
        {"mala_acceptance", number(r.diagnostics.mala_acceptance)},
        {"below_init_fraction", r.diagnostics.below_init_fraction},
        {"below_init_margin", number(r.diagnostics.below_init_margin)},
        {"diverged_chains", r.diagnostics.diverged_chains}}},
      {"calibration", to_json(r.calibration)},
      {"warnings", r.warnings},
      {"chains", chains},
      {"settings", to_json(r.config)},
      {"seconds", r.seconds},
      {"version", kVersion}};
  // the settings used, with nβ resolved (the config's 0 stands for n / log n)
  j["settings"]["nbeta"] = r.nbeta;
  // λ̂ after the first t draws, at most kTracePoints of them unless the whole trace is
  // asked for; the online trace may hold NaN std for one chain, and JSON has no NaN
  nlohmann::json draws = nlohmann::json::array(), means = nlohmann::json::array(), stds = nlohmann::json::array();
  const std::size_t limit = trace == TraceDetail::full ? 0 : kTracePoints;
  for (std::size_t i : evenly_spaced(r.trace_mean.size(), limit)) {
    draws.push_back(i + 1);
    means.push_back(number(r.trace_mean[i]));
    stds.push_back(i < r.trace_std.size() ? number(r.trace_std[i]) : nlohmann::json(nullptr));
  }
  j["trace"] = {{"draws", draws}, {"mean", means}, {"std", stds}};
  return j;
}

void write_text_atomically(const std::string& path, const std::string& text) { write_file_atomically(path, text); }

void write_output(const std::string& path, const std::string& text) {
  if (path != "-") return write_text_atomically(path, text);
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

std::string summary(const LLCResult& r, const std::optional<LearningCoefficient>& theory,
                    const std::string& description, const std::optional<double>& theory_at_n) {
  std::ostringstream os;
  char line[512];
  os << description << "\n";
  if (!r.has_estimate()) {
    os << "  no estimate\n";
  } else {
    std::snprintf(line, sizeof line, "  LLC  λ̂ = %.4g ± %.3g (MCSE)   sd over chains %.3g   (%zu chains, %lld draws each)\n",
                  r.mean, r.diagnostics.mcse, r.std, r.chains.size(),
                  static_cast<long long>(r.config.num_draws.value_or(0)));
    os << line;
  }
  if (theory) {
    std::snprintf(line, sizeof line, "  theory λ = %.4g, multiplicity %lld   (λ̂/λ = %.3f)\n", theory->lambda,
                  static_cast<long long>(theory->multiplicity), r.mean / theory->lambda);
    os << line;
    if (theory_at_n) {
      std::snprintf(line, sizeof line, "  leading-order target at this n and nβ = %.4g   (λ̂/target = %.3f)\n", *theory_at_n,
                    r.mean / *theory_at_n);
      os << line;
    } else if (!llc_target_defined(*theory, r.nbeta)) {
      std::snprintf(line, sizeof line,
                    "  leading-order target at this n: undefined, since λ >= nβ = %.4g cuts off the density it averages\n", r.nbeta);
      os << line;
    }
  } else {
    os << "  theory: no exact value known for this model\n";
  }
  os << "  per chain (λ̂ ± MCSE, R̂, bulk/tail ESS):";
  for (std::size_t i = 0; i < r.chains.size(); ++i) {
    const auto& c = r.chains[i];
    std::snprintf(line, sizeof line, "%s %.4g ± %.2g, %.3f, %.0f/%.0f%s", i ? ";" : "", c.llc, c.mcse, c.rhat,
                  c.ess_bulk, c.ess_tail, c.diverged ? " (diverged)" : "");
    os << line;
  }
  os << "\n";
  std::snprintf(line, sizeof line, "  init loss L_n(w*) = %.6g, nβ = %.4g, n = %lld, ε = %g, γ = %g, sampler %s\n",
                r.init_loss, r.nbeta, static_cast<long long>(r.n), r.config.epsilon.value_or(NAN),
                r.config.localization, to_string(r.config.kind));
  os << line;
  os << "  calibration: " << r.calibration.summary() << "\n";
  // the MALA check applies to SGLD and MALA steps; SGNHT's momentum step has none
  char acceptance[64] = "";
  if (std::isfinite(r.diagnostics.mala_acceptance))
    std::snprintf(acceptance, sizeof acceptance, "MALA acceptance %.3f, ", r.diagnostics.mala_acceptance);
  std::snprintf(line, sizeof line,
                "  diagnostics: R̂ %.4f (bulk %.4f, tail %.4f), ESS bulk %.0f, tail %.0f, %sdraws below init %.1f%%, "
                "diverged chains %lld\n",
                r.diagnostics.rhat, r.diagnostics.rhat_bulk, r.diagnostics.rhat_tail, r.diagnostics.ess_bulk,
                r.diagnostics.ess_tail, acceptance, 100 * r.diagnostics.below_init_fraction,
                static_cast<long long>(r.diagnostics.diverged_chains));
  os << line;
  for (const auto& w : r.warnings) os << "  warning: " << w << "\n";
  std::snprintf(line, sizeof line, "  %.2f s\n", r.seconds);
  os << line;
  return os.str();
}

std::string version_text() {
  std::string text = std::string("lambdahat ") + kVersion + "\n";
  text += "built for: " + std::string(build::target) + " (vector instructions: " + std::string(simd_instruction_set()) +
          ", " + std::to_string(simd_float_lanes()) + " float32 lanes)\n";
  text += std::string("OpenMP: ") + (openmp_enabled() ? "yes" : "no") + "\n";
  text += "MPI: " + cluster::mpi_description() + "\n";
  text += std::string("path: ") + (build::reference ? "reference (every fused op as its plain formulation)" : "fast");
  return text;
}

nlohmann::json trace_to_json(const ChainTrace& t, std::int64_t chain) {
  return {{"chain", chain},
          {"losses", t.losses},
          {"mala_acceptance", t.mala_acceptance},
          {"mala_checks", t.mala_checks},
          {"diverged", t.diverged},
          {"diverged_at_draw", t.diverged_at_draw},
          {"divergence", t.divergence}};
}

void trace_from_json(const nlohmann::json& j, std::vector<ChainTrace>& traces, const std::string& where) {
  try {
    const auto chain = j.at("chain").get<std::int64_t>();
    check(chain >= 0 && chain < static_cast<std::int64_t>(traces.size()), "lambdahat", where, ": chain ", chain,
          " is out of range for ", traces.size(), " chains");
    ChainTrace& t = traces[static_cast<std::size_t>(chain)];
    t.losses = j.at("losses").get<std::vector<double>>();
    t.mala_acceptance = j.at("mala_acceptance").get<double>();
    t.mala_checks = j.at("mala_checks").get<std::int64_t>();
    t.diverged = j.at("diverged").get<bool>();
    t.diverged_at_draw = j.at("diverged_at_draw").get<std::int64_t>();
    t.divergence = j.at("divergence").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    fail("lambdahat", where, " holds no chain trace (", e.what(), ")");
  }
}

}  // namespace lambdahat::cli
