// Terminal output for the lambdahat command: a progress bar with rate and time left
// on a terminal, quiet line-based progress otherwise; JSON for results.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lambdahat.hpp"

namespace lambdahat::cli {

inline constexpr const char* kVersion = LAMBDAHAT_VERSION;  // lambdahat/version.hpp

// One chain's trace as JSON and back, exactly (doubles print with 17 digits): what
// MPI ranks and llc shards pass on.
nlohmann::json trace_to_json(const ChainTrace& trace, std::int64_t chain);
// Reads {"chain", "losses", ...} into traces[chain]; throws naming `where` when the
// JSON is not a trace or the chain is out of range.
void trace_from_json(const nlohmann::json& j, std::vector<ChainTrace>& traces, const std::string& where);

class Progress {
 public:
  Progress(std::string label, std::int64_t total);
  void update(std::int64_t done);
  void finish();
  ~Progress();

 private:
  std::string label_;
  std::int64_t total_, last_reported_ = -1;
  bool terminal_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// "1:05" or "2:03:04"
std::string format_duration(double seconds);

// How much of the λ̂ trace (λ̂ after the first t draws) the JSON holds: at most
// kTracePoints evenly spaced points from the first draw to the last, or every draw.
enum class TraceDetail { thinned, full };
inline constexpr std::size_t kTracePoints = 1000;
// The indices of at most `limit` evenly spaced points of 0..size-1, the first and the
// last among them (every index when limit is 0 or size <= limit).
std::vector<std::size_t> evenly_spaced(std::size_t size, std::size_t limit);

// The result as JSON: the estimate, diagnostics, calibration, warnings, per-chain
// values, the trace and the settings used (each quantity once: nβ, ε and γ live in
// "settings").
nlohmann::json to_json(const LLCResult& r, const std::optional<LearningCoefficient>& theory,
                       TraceDetail trace = TraceDetail::thinned);
nlohmann::json to_json(const SamplerConfig& c);
nlohmann::json to_json(const Calibration& c);

// Writes `text` to `path` atomically (temporary file + rename).
void write_text_atomically(const std::string& path, const std::string& text);
// A result file named by a flag: "-" is standard output, anything else is written
// atomically.
void write_output(const std::string& path, const std::string& text);

// The readable summary of an LLC estimate; `theory_at_n` is the leading-order value
// the estimator targets at this n and nβ (theory.hpp, llc_target_at_n).
std::string summary(const LLCResult& r, const std::optional<LearningCoefficient>& theory, const std::string& description,
                    const std::optional<double>& theory_at_n = std::nullopt);

// `lambdahat calibrate`: the sweep as a table, JSON and an SVG figure (λ̂ against ε,
// one line per γ, the cells with acceptance at the target marked).
std::string sweep_table(const SweepResult& sweep, const std::optional<LearningCoefficient>& theory,
                        const std::string& description);
nlohmann::json to_json(const SweepResult& sweep, const std::optional<LearningCoefficient>& theory);
std::string sweep_svg(const SweepResult& sweep, const std::optional<LearningCoefficient>& theory,
                      const std::string& description);

}  // namespace lambdahat::cli
