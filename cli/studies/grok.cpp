// lambdahat grok: the Arrhenius-style rate law of grokking (docs/theory.md, "The seed study").
//
// For each seed: train the modular-addition MLP, evaluate every checkpoint, detect
// grokking, estimate λ̂ at the two checkpoints with the study's sampler settings,
// and compute ΔF = n ΔL + log n Δλ̂. Then fit ΔF against log(t_val − t_train).
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "problems.hpp"
#include "report.hpp"
#include "cluster.hpp"
#include "store.hpp"
#include "studies.hpp"
#include "svg.hpp"

namespace lambdahat::cli {

namespace fs = std::filesystem;

GrokDetection detect_grokking(const std::vector<double>& train_accuracy, const std::vector<double>& val_accuracy,
                              std::int64_t min_gap) {
  GrokDetection d;
  for (std::size_t k = 0; k < train_accuracy.size(); ++k)
    if (train_accuracy[k] >= 1.0) {
      d.t_train = static_cast<std::int64_t>(k) + 1;
      break;
    }
  for (std::size_t k = 0; k < val_accuracy.size(); ++k)
    if (val_accuracy[k] >= 0.95) {
      d.t_val = static_cast<std::int64_t>(k) + 1;
      break;
    }
  if (d.t_train < 0) d.skipped = "train accuracy never reached 1";
  else if (d.t_val < 0) d.skipped = "validation accuracy never reached 0.95";
  else if (d.t_val - d.t_train <= min_gap)
    d.skipped = "t_val - t_train = " + std::to_string(d.t_val - d.t_train) + " <= " + std::to_string(min_gap) +
                " checkpoints";
  return d;
}

SamplerConfig grok_sampler() {
  ProblemSpec spec;
  spec.model = "grok";
  return seed_study_sampler(spec);
}

void make_quick(GrokStudyOptions& o) {
  o.seeds = std::min<std::int64_t>(o.seeds, 24);
  o.curve_points = 10;
}

void make_tiny(GrokStudyOptions& o) {
  o.seeds = 3;
  o.p = 17;
  o.recipe.train_fraction = 0.8;
  o.recipe.lr = 0.01;
  o.recipe.weight_decay = 0.01;
  o.recipe.steps = 1200;
  o.checkpoint_every = 10;
  o.min_gap = 5;  // runs of 120 checkpoints: the seed study's 20 would skip most that grok
  o.curve_points = 3;
  o.sampler.num_chains = 2;
  o.sampler.num_draws = 30;
  o.sampler.batch_size = 64;
}

namespace {

nlohmann::json settings_of(const GrokStudyOptions& o) {
  return {{"study", "grok"},
          {"steps", o.recipe.steps},
          {"checkpoint_every", o.checkpoint_every},
          {"p", o.p},
          {"train_fraction", o.recipe.train_fraction},
          {"lr", o.recipe.lr},
          {"weight_decay", o.recipe.weight_decay},
          {"batch", o.recipe.batch},
          {"min_gap", o.min_gap},
          {"curve_points", o.curve_points},
          {"sampler", to_json(o.sampler)}};
}

// One seed: train, detect, estimate. Every number of the row is in the result.
nlohmann::json run_seed(const GrokStudyOptions& o, std::uint64_t seed, bool with_curve) {
  const ModularData data = modular_arithmetic(o.p, o.recipe.train_fraction, seed);
  Generator gen(seed, 1);
  ModularAdditionMLP model(o.p, o.recipe.embed, o.recipe.hidden, gen);
  GrokkingTraining training(model, data.train, o.recipe, seed);
  std::vector<double> train_loss, train_acc, val_loss, val_acc;
  std::vector<StateDict> checkpoints;
  for (std::int64_t step = 1; step <= o.recipe.steps; ++step) {
    training.step();
    if (step % o.checkpoint_every == 0) {
      const ClassifierScore tr = evaluate_classifier(model, data.train);
      const ClassifierScore va = evaluate_classifier(model, data.validation);
      train_loss.push_back(tr.loss);
      train_acc.push_back(tr.accuracy);
      val_loss.push_back(va.loss);
      val_acc.push_back(va.accuracy);
      checkpoints.push_back(model.state_dict());
    }
  }
  const GrokDetection d = detect_grokking(train_acc, val_acc, o.min_gap);
  nlohmann::json r = {{"seed", seed},
                      {"t_train", d.t_train},
                      {"t_val", d.t_val},
                      {"skipped", d.skipped},
                      {"curves",
                       {{"step_every", o.checkpoint_every},
                        {"train_loss", train_loss},
                        {"train_accuracy", train_acc},
                        {"val_loss", val_loss},
                        {"val_accuracy", val_acc}}}};
  SamplerConfig c = o.sampler;
  c.seed = seed;
  auto llc_at = [&](std::int64_t checkpoint) {
    ModularAdditionMLP at(o.p, o.recipe.embed, o.recipe.hidden, gen);
    at.load_state_dict(checkpoints[static_cast<std::size_t>(checkpoint - 1)]);
    return estimate_llc(at, cross_entropy_loss(), data.train, c);
  };
  if (d.skipped.empty()) {
    const LLCResult before = llc_at(d.t_train), after = llc_at(d.t_val);
    const std::int64_t n = data.train.size();
    const double lb = before.init_loss, la = after.init_loss;
    r["train_loss_before"] = lb;
    r["train_loss_after"] = la;
    r["llc_before"] = before.mean;
    r["llc_before_std"] = before.std;
    r["llc_after"] = after.mean;
    r["llc_after_std"] = after.std;
    r["delta_llc"] = after.mean - before.mean;
    // ΔF = n (L_after − L_before) + log n (λ̂_after − λ̂_before)
    r["delta_f"] = free_energy_difference(n, lb, before.mean, la, after.mean);
    r["n"] = n;
    r["warnings"] = {{"before", before.warnings}, {"after", after.warnings}};
    r["mala_acceptance"] = {before.diagnostics.mala_acceptance, after.diagnostics.mala_acceptance};
  }
  if (with_curve) {
    // λ̂ along training, at evenly spaced checkpoints
    nlohmann::json curve = nlohmann::json::array();
    const std::int64_t count = static_cast<std::int64_t>(checkpoints.size());
    const std::int64_t points = std::min(o.curve_points, count);
    for (std::int64_t i = 0; i < points; ++i) {
      const std::int64_t k = points == 1 ? count : 1 + i * (count - 1) / std::max<std::int64_t>(points - 1, 1);
      const LLCResult e = llc_at(k);
      curve.push_back({{"checkpoint", k}, {"step", k * o.checkpoint_every}, {"llc", e.mean}, {"llc_std", e.std}});
    }
    r["llc_curve"] = curve;
  }
  return r;
}

double number_or_nan(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : std::nan("");
}

}  // namespace

nlohmann::json run_grok_study(const GrokStudyOptions& o) {
  check(o.seeds >= 1 && o.recipe.steps >= o.checkpoint_every && o.checkpoint_every >= 1, "lambdahat grok",
        "needs --seeds >= 1 and --steps >= the checkpoint interval");
  validate(o.sampler, 2);
  const nlohmann::json settings = settings_of(o);
  UnitStore store(o.out, "grok", settings);
  auto unit = [&](std::int64_t i) {
    char name[32];
    std::snprintf(name, sizeof name, "seed_%06llu", static_cast<unsigned long long>(o.first_seed + i));
    return std::string(name);
  };
  run_units(
      "grok seeds", o.seeds, o.threads, [&](std::int64_t i) { return store.done(unit(i)); },
      [&](std::int64_t i) { return run_seed(o, o.first_seed + static_cast<std::uint64_t>(i), false); },
      [&](std::int64_t i, const nlohmann::json& r) { store.save(unit(i), r); }, o.shard);
  // a shard stops here: the LLC curve's seed depends on every run (merge does the rest)
  if (o.shard.active()) return shard_result(o.shard, o.seeds);
  if (!cluster::is_writer()) return {};  // the curve and the tables are rank 0's
  // λ̂ along training for one run: the first that grokked (else the first run),
  // trained again with the same seed, which reproduces it exactly
  std::uint64_t curve_seed = o.first_seed;
  for (std::int64_t i = 0; i < o.seeds; ++i)
    if (store.load(unit(i))["skipped"].get<std::string>().empty()) {
      curve_seed = o.first_seed + static_cast<std::uint64_t>(i);
      break;
    }
  const std::string curve_unit = "curve_" + unit(static_cast<std::int64_t>(curve_seed - o.first_seed));
  run_units_here(
      "grok LLC curve", 1, o.threads, [&](std::int64_t) { return store.done(curve_unit); },
      [&](std::int64_t) { return run_seed(o, curve_seed, true); },
      [&](std::int64_t, const nlohmann::json& r) { store.save(curve_unit, r); });

  // ---- the table ----
  std::vector<std::vector<std::string>> rows;
  std::vector<double> rates, delta_f, delta_llc;
  std::int64_t grokked = 0, skipped = 0;
  const nlohmann::json first = store.load(curve_unit);
  for (std::int64_t i = 0; i < o.seeds; ++i) {
    const nlohmann::json r = store.load(unit(i));
    const bool ok = r["skipped"].get<std::string>().empty();
    if (r["t_val"].get<std::int64_t>() > 0 && r["t_train"].get<std::int64_t>() > 0) ++grokked;
    if (!ok) ++skipped;
    rows.push_back({cell(r["seed"].get<std::int64_t>()), cell(r["t_train"].get<std::int64_t>()),
                    cell(r["t_val"].get<std::int64_t>()), r["skipped"].get<std::string>(),
                    cell(number_or_nan(r, "train_loss_before")), cell(number_or_nan(r, "train_loss_after")),
                    cell(number_or_nan(r, "llc_before")), cell(number_or_nan(r, "llc_before_std")),
                    cell(number_or_nan(r, "llc_after")), cell(number_or_nan(r, "llc_after_std")),
                    cell(number_or_nan(r, "delta_llc")), cell(number_or_nan(r, "delta_f"))});
    if (ok && std::isfinite(number_or_nan(r, "delta_f"))) {
      rates.push_back(static_cast<double>(r["t_val"].get<std::int64_t>() - r["t_train"].get<std::int64_t>()));
      delta_f.push_back(r["delta_f"].get<double>());
      delta_llc.push_back(r["delta_llc"].get<double>());
    }
  }
  write_csv((fs::path(o.out) / "runs.csv").string(),
            {"seed", "t_train", "t_val", "skipped", "train_loss_before", "train_loss_after", "llc_before",
             "llc_before_std", "llc_after", "llc_after_std", "delta_llc", "delta_f"},
            rows);

  // ---- the fits ----
  nlohmann::json summary = provenance(settings);
  summary["counts"] = {{"seeds", o.seeds}, {"grokked", grokked}, {"skipped", skipped},
                       {"used_in_fit", static_cast<std::int64_t>(rates.size())}};
  summary["fit_linear"] = nullptr;
  summary["fit_quadratic"] = nullptr;
  summary["x"] = "log(t_val - t_train), t in checkpoints";
  if (rates.size() >= 3) {
    bool distinct = false;
    for (double r : rates) distinct = distinct || r != rates.front();
    if (distinct) {
      const RateLawFit fit = fit_rate_law(rates, delta_f, 2000, o.first_seed);
      summary["fit_linear"] = {{"coefficients", fit.linear.coefficients},
                               {"r2", fit.linear.r2},
                               {"slope_ci", {fit.slope_ci_low, fit.slope_ci_high}},
                               {"confidence", fit.confidence}};
      if (!fit.quadratic.coefficients.empty())
        summary["fit_quadratic"] = {{"coefficients", fit.quadratic.coefficients}, {"r2", fit.quadratic.r2}};
    }
  }
  write_file_atomically((fs::path(o.out) / "summary.json").string(), summary.dump(2) + "\n");

  // ---- the figures ----
  {
    Plot plot("Grokking: free-energy difference against rate", "t_val - t_train (checkpoints, log scale)",
              "ΔF = n ΔL + log n Δλ̂");
    plot.log_x();
    plot.add({"runs", rates, delta_f, {}, Series::Style::markers, ""});
    if (summary["fit_linear"].is_object()) {
      std::vector<double> xs, lin, quad;
      const double lo = *std::min_element(rates.begin(), rates.end()), hi = *std::max_element(rates.begin(), rates.end());
      const auto cl = summary["fit_linear"]["coefficients"].get<std::vector<double>>();
      for (int i = 0; i <= 50; ++i) {
        const double r = lo * std::pow(hi / lo, i / 50.0), x = std::log(r);
        xs.push_back(r);
        lin.push_back(cl[0] + cl[1] * x);
        if (summary["fit_quadratic"].is_object()) {
          const auto cq = summary["fit_quadratic"]["coefficients"].get<std::vector<double>>();
          quad.push_back(cq[0] + cq[1] * x + cq[2] * x * x);
        }
      }
      char label[64];
      std::snprintf(label, sizeof label, "linear fit, R² = %.2f", summary["fit_linear"]["r2"].get<double>());
      plot.add({label, xs, lin, {}, Series::Style::line, ""});
      if (!quad.empty()) {
        std::snprintf(label, sizeof label, "quadratic fit, R² = %.2f", summary["fit_quadratic"]["r2"].get<double>());
        plot.add({label, xs, quad, {}, Series::Style::dashed, ""});
      }
    }
    plot.save((fs::path(o.out) / "grok_rate_law.svg").string());
  }
  {
    // the distribution of Δλ̂ as a histogram
    Plot plot("Change of the LLC across grokking", "Δλ̂ = λ̂(t_val) − λ̂(t_train)", "runs");
    if (!delta_llc.empty()) {
      const double lo = *std::min_element(delta_llc.begin(), delta_llc.end());
      const double hi = *std::max_element(delta_llc.begin(), delta_llc.end());
      const int bins = std::max(4, std::min(20, static_cast<int>(std::sqrt(delta_llc.size())) + 2));
      const double width = hi > lo ? (hi - lo) / bins : 1;
      std::vector<double> centers, counts(static_cast<std::size_t>(bins), 0.0);
      for (double v : delta_llc) counts[static_cast<std::size_t>(std::min(bins - 1, static_cast<int>((v - lo) / width)))] += 1;
      for (int b = 0; b < bins; ++b) centers.push_back(lo + (b + 0.5) * width);
      plot.add({"runs", centers, counts, {}, Series::Style::bars, ""});
    }
    plot.save((fs::path(o.out) / "grok_delta_llc.svg").string());
  }
  {
    // one seed's training curves and λ̂ along training
    const auto& curves = first["curves"];
    const double every = curves["step_every"].get<double>();
    std::vector<double> steps;
    for (std::size_t k = 0; k < curves["train_accuracy"].size(); ++k) steps.push_back(every * static_cast<double>(k + 1));
    Plot acc("Seed " + std::to_string(first["seed"].get<std::int64_t>()) + ": accuracy", "training step", "accuracy");
    acc.add({"train", steps, curves["train_accuracy"].get<std::vector<double>>(), {}, Series::Style::line, ""});
    acc.add({"validation", steps, curves["val_accuracy"].get<std::vector<double>>(), {}, Series::Style::line, ""});
    Plot loss("Seed " + std::to_string(first["seed"].get<std::int64_t>()) + ": loss", "training step",
              "cross-entropy (log scale)");
    loss.log_y();
    loss.add({"train", steps, curves["train_loss"].get<std::vector<double>>(), {}, Series::Style::line, ""});
    loss.add({"validation", steps, curves["val_loss"].get<std::vector<double>>(), {}, Series::Style::line, ""});
    Plot llc("Seed " + std::to_string(first["seed"].get<std::int64_t>()) + ": LLC along training", "training step",
             "λ̂");
    if (first.contains("llc_curve")) {
      std::vector<double> s, v, e;
      for (const auto& p : first["llc_curve"]) {
        s.push_back(p["step"].get<double>());
        v.push_back(p["llc"].is_number() ? p["llc"].get<double>() : std::nan(""));
        e.push_back(p["llc_std"].is_number() ? p["llc_std"].get<double>() : std::nan(""));
      }
      llc.add({"λ̂ ± sd over chains", s, v, e, Series::Style::line_markers, ""});
    }
    for (Plot* p : {&acc, &loss, &llc}) {
      if (first["t_train"].get<std::int64_t>() > 0) p->mark_x(every * first["t_train"].get<double>(), "t_train");
      if (first["t_val"].get<std::int64_t>() > 0) p->mark_x(every * first["t_val"].get<double>(), "t_val");
    }
    acc.save((fs::path(o.out) / "grok_seed_accuracy.svg").string());
    loss.save((fs::path(o.out) / "grok_seed_loss.svg").string());
    llc.save((fs::path(o.out) / "grok_seed_llc.svg").string());
  }
  return summary;
}

}  // namespace lambdahat::cli
