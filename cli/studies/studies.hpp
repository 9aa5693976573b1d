// The seed study, subcommand by subcommand (docs/theory.md, "The seed study"): the grokking rate
// law, the superposition transitions and the LLC scaling laws. Each study writes its
// units as it finishes them (store.hpp), then its tables, summary and figures.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lambdahat.hpp"
#include "store.hpp"

namespace lambdahat::cli {

// ---- grokking ----

struct GrokDetection {
  std::int64_t t_train = -1;  // first checkpoint (1-based) with train accuracy 1
  std::int64_t t_val = -1;    // first checkpoint with validation accuracy >= 0.95
  std::string skipped;        // empty, or why the run is skipped
};

// The seed study's rule: runs where either checkpoint is missing or t_val − t_train <= min_gap are skipped.
GrokDetection detect_grokking(const std::vector<double>& train_accuracy, const std::vector<double>& val_accuracy,
                              std::int64_t min_gap = 20);

struct GrokStudyOptions {
  std::string out;
  std::int64_t seeds = 200;
  std::uint64_t first_seed = 0;
  GrokkingRecipe recipe;         // the training (nn/recipes.hpp): Adam, 25 000 steps
  std::int64_t checkpoint_every = 100;
  std::int64_t p = 53;
  std::int64_t min_gap = 20;    // checkpoints
  std::int64_t curve_points = 25;  // λ̂ along training for the first seed
  SamplerConfig sampler;        // the study's LLC settings (grok_sampler())
  int threads = 0;
  Shard shard;                  // --shard k/N: these seeds only, no tables
};
SamplerConfig grok_sampler();  // ε 3e-3, nβ 2, γ 5, 3 chains × 500 draws, batch 128
// The quick scale: at most 24 runs and a shorter λ̂ curve (the study's steps and
// sampler). The tiny scale (tests): p = 17 with 80 % of the pairs, which groks in
// about a thousand steps, and short chains.
void make_quick(GrokStudyOptions& o);
void make_tiny(GrokStudyOptions& o);
nlohmann::json run_grok_study(const GrokStudyOptions& options);  // returns summary.json's content

// ---- toy model of superposition ----

struct Transition {
  std::int64_t plateau_start = 0;  // epoch the plateau before the drop begins
  std::int64_t drop_start = 0;     // epoch the drop begins
  std::int64_t drop_end = 0;       // epoch the drop ends (the next plateau begins)
};
// Drops of the smoothed loss — log(loss) against log(epoch), `window` grid points
// per e-fold — of at least `min_fraction` of the total drop; plateaus are the
// stretches between them. loss[e] is the loss after epoch e (loss[0]: at the start).
std::vector<Transition> detect_transitions(const std::vector<double>& loss, std::int64_t window = 20,
                                           double min_fraction = 0.05);

struct TMSStudyOptions {
  std::string out;
  std::int64_t seeds = 5;
  std::uint64_t first_seed = 0;
  std::int64_t epochs = 4500;
  std::int64_t n = 1000, features = 8, hidden = 2;
  std::int64_t linear_points = 100, log_points = 100;  // λ̂ checkpoints
  double bias_std = 10.0;
  SamplerConfig sampler;  // tms_sampler()
  int threads = 0;
  Shard shard;
};
SamplerConfig tms_sampler();  // ε 5e-4, γ 1, nβ n/log n, 10 chains × 500 draws, batch 512
// Quick: 1500 epochs, 20 + 20 λ̂ checkpoints, 4 chains × 200 draws. Tiny: 300 epochs,
// 4 + 4 checkpoints, 2 chains × 20 draws.
void make_quick(TMSStudyOptions& o);
void make_tiny(TMSStudyOptions& o);
nlohmann::json run_tms_study(const TMSStudyOptions& options);

// ---- scaling laws ----

struct ScalingStudyOptions {
  std::string out;
  std::string family = "polynomial";  // polynomial, dln, autoencoder
  std::int64_t seeds = 3;
  std::uint64_t first_seed = 0;
  bool quick = false;
  int threads = 0;
  Shard shard;
};
nlohmann::json run_scaling_study(const ScalingStudyOptions& options);

// A name made safe for files: every character but letters and digits becomes '_'.
// Figures are scaling_<family>_<slug(sweep)>.svg.
std::string slug(const std::string& name);

// ---- the report ----

struct PaperOptions {
  std::string out;
  bool quick = false;
  bool tiny = false;  // seconds: one scaling family and tiny studies (for tests)
  std::uint64_t seed = 0;
  int threads = 0;
  Shard shard;  // each study's units i with i mod N = k; no report
};
// Runs every study into subdirectories of out and writes out/index.html. Returns the
// path of index.html ("" for a shard, which writes no report).
std::string run_paper(const PaperOptions& options);

}  // namespace lambdahat::cli
