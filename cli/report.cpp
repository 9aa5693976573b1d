#include "report.hpp"

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

nlohmann::json to_json(const SamplerConfig& c) {
  return {{"sampler", c.kind == SamplerKind::sgld ? "sgld" : "sgnht"},
          {"epsilon", c.epsilon},
          {"nbeta", c.nbeta},
          {"gamma", c.localization},
          {"weight_decay", c.weight_decay},
          {"noise_level", c.noise_level},
          {"chains", c.num_chains},
          {"draws", c.num_draws},
          {"burnin", c.num_burnin_steps},
          {"every", c.num_steps_bw_draws},
          {"batch", c.batch_size},
          {"mala_every", c.mala_every},
          {"seed", c.seed}};
}

nlohmann::json to_json(const LLCResult& r, const std::optional<LearningCoefficient>& theory) {
  auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json per_chain = nlohmann::json::array(), chains = nlohmann::json::array();
  for (const auto& c : r.chains) {
    per_chain.push_back(number(c.llc));
    chains.push_back({{"llc", number(c.llc)},
                      {"ess", number(c.ess)},
                      {"mala_acceptance", number(c.mala_acceptance)},
                      {"below_init_fraction", c.below_init_fraction},
                      {"diverged", c.diverged},
                      {"divergence", c.divergence}});
  }
  nlohmann::json j = {
      {"llc", {{"mean", number(r.mean)}, {"std", number(r.std)}, {"per_chain", per_chain}}},
      {"init_loss", r.init_loss},
      {"nbeta", r.nbeta},
      {"n", r.n},
      {"epsilon", r.config.epsilon},
      {"gamma", r.config.localization},
      {"theory", theory ? nlohmann::json{{"lambda", theory->lambda}, {"multiplicity", theory->multiplicity}}
                        : nlohmann::json(nullptr)},
      {"diagnostics",
       {{"ess", number(r.diagnostics.ess_total)},
        {"rhat", number(r.diagnostics.rhat)},
        {"mala_acceptance", number(r.diagnostics.mala_acceptance)},
        {"below_init_fraction", r.diagnostics.below_init_fraction},
        {"diverged_chains", r.diagnostics.diverged_chains}}},
      {"warnings", r.warnings},
      {"chains", chains},
      {"trace", {{"mean", r.trace_mean}, {"std", r.trace_std}}},
      {"settings", to_json(r.config)},
      {"seconds", r.seconds},
      {"version", kVersion}};
  // the online trace may hold NaN std for one chain; JSON has no NaN
  for (auto& v : j["trace"]["std"]) if (v.is_number() && !std::isfinite(v.get<double>())) v = nullptr;
  for (auto& v : j["trace"]["mean"]) if (v.is_number() && !std::isfinite(v.get<double>())) v = nullptr;
  return j;
}

void write_text_atomically(const std::string& path, const std::string& text) { write_file_atomically(path, text); }

std::string summary(const LLCResult& r, const std::optional<LearningCoefficient>& theory,
                    const std::string& description) {
  std::ostringstream os;
  char line[256];
  os << description << "\n";
  std::snprintf(line, sizeof line, "  LLC  λ̂ = %.4g ± %.3g   (%zu chains, %lld draws each)\n", r.mean, r.std,
                r.chains.size(), static_cast<long long>(r.config.num_draws));
  os << line;
  if (theory) {
    std::snprintf(line, sizeof line, "  theory λ = %.4g, multiplicity %lld   (λ̂/λ = %.3f)\n", theory->lambda,
                  static_cast<long long>(theory->multiplicity), r.mean / theory->lambda);
    os << line;
  } else {
    os << "  theory: no exact value known for this model\n";
  }
  os << "  per chain:";
  for (const auto& c : r.chains) {
    std::snprintf(line, sizeof line, " %.4g%s", c.llc, c.diverged ? "(diverged)" : "");
    os << line;
  }
  os << "\n";
  std::snprintf(line, sizeof line, "  init loss L_n(w*) = %.6g, nβ = %.4g, n = %lld, ε = %g, γ = %g\n", r.init_loss,
                r.nbeta, static_cast<long long>(r.n), r.config.epsilon, r.config.localization);
  os << line;
  std::snprintf(line, sizeof line,
                "  diagnostics: ESS %.0f, split-R̂ %.3f, MALA acceptance %.3f, draws below init %.1f%%, diverged chains %lld\n",
                r.diagnostics.ess_total, r.diagnostics.rhat, r.diagnostics.mala_acceptance,
                100 * r.diagnostics.below_init_fraction, static_cast<long long>(r.diagnostics.diverged_chains));
  os << line;
  for (const auto& w : r.warnings) os << "  warning: " << w << "\n";
  std::snprintf(line, sizeof line, "  %.2f s\n", r.seconds);
  os << line;
  return os.str();
}

}  // namespace lambdahat::cli
