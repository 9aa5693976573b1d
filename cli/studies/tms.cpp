// lambdahat tms: phase transitions of the toy model of superposition (docs/theory.md, "The seed study").
//
// For each seed: train from a noisy 2-gon, record the full-data loss every epoch and
// λ̂ at ~100 linearly and ~100 log-spaced epochs, detect the drops of the smoothed
// loss (transitions) and the plateaus between them, and compute ΔF between
// consecutive plateaus against the log of the time spent on the first one.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include "problems.hpp"
#include "report.hpp"
#include "cluster.hpp"
#include "store.hpp"
#include "studies.hpp"
#include "svg.hpp"

namespace lambdahat::cli {

namespace fs = std::filesystem;

SamplerConfig tms_sampler() {
  ProblemSpec spec;
  spec.model = "tms";
  return seed_study_sampler(spec);
}

void make_quick(TMSStudyOptions& o) {
  o.epochs = std::min<std::int64_t>(o.epochs, 1500);
  o.linear_points = o.log_points = 20;
  o.sampler.num_chains = 4;
  o.sampler.num_draws = 200;
}

void make_tiny(TMSStudyOptions& o) {
  o.seeds = 2;
  o.epochs = 300;
  o.linear_points = o.log_points = 4;
  o.sampler.num_chains = 2;
  o.sampler.num_draws = 20;
}

std::vector<Transition> detect_transitions(const std::vector<double>& loss, std::int64_t window, double min_fraction) {
  const auto epochs = static_cast<std::int64_t>(loss.size()) - 1;  // loss[e] after epoch e
  std::vector<Transition> out;
  if (epochs < 4) return out;
  // The dynamics of the toy model unfold in log time and its loss spans orders of
  // magnitude, so the curve is read as log(loss) against log(epoch): on a grid of
  // `window` points per e-fold of epochs, each point the mean of log(loss) over the
  // epochs around it.
  const double step = 1.0 / static_cast<double>(std::max<std::int64_t>(window, 2));
  std::vector<std::int64_t> grid;
  for (double t = 0; t <= std::log(static_cast<double>(epochs)) + 1e-9; t += step) {
    const auto e = static_cast<std::int64_t>(std::llround(std::exp(t)));
    if (grid.empty() || e > grid.back()) grid.push_back(std::min(e, epochs));
  }
  std::vector<double> y;
  for (std::size_t j = 0; j < grid.size(); ++j) {
    const std::int64_t lo = j > 0 ? (grid[j - 1] + grid[j] + 1) / 2 : grid[j];
    const std::int64_t hi = j + 1 < grid.size() ? (grid[j] + grid[j + 1]) / 2 : grid[j];
    double s = 0;
    for (std::int64_t e = lo; e <= hi; ++e) s += std::log(std::max(loss[e], 1e-30));
    y.push_back(s / static_cast<double>(hi - lo + 1));
  }
  const double total = y.front() - *std::min_element(y.begin(), y.end());
  if (!(total > 0) || y.size() < 3) return out;
  // a drop: a maximal stretch where log(loss) falls faster than 4 % of the total
  // drop per e-fold of epochs; kept if it falls by >= min_fraction of the total
  auto falling = [&](std::size_t j) {
    const double dt = std::log(static_cast<double>(grid[j + 1]) / static_cast<double>(grid[j]));
    return (y[j] - y[j + 1]) / dt > 0.04 * total;
  };
  std::int64_t plateau_start = 0;
  std::size_t j = 0;
  while (j + 1 < y.size()) {
    if (!falling(j)) {
      ++j;
      continue;
    }
    const std::size_t start = j;
    while (j + 1 < y.size() && falling(j)) ++j;
    if (y[start] - y[j] >= min_fraction * total) {
      const std::int64_t drop_start = start == 0 ? 0 : grid[start];
      out.push_back({plateau_start, drop_start, grid[j]});
      plateau_start = grid[j];
    }
  }
  return out;
}

namespace {

// The epochs at which λ̂ is estimated: ~linear_points evenly spaced and ~log_points
// log-spaced in [1, epochs], without repeats.
std::vector<std::int64_t> checkpoint_epochs(std::int64_t epochs, std::int64_t linear_points, std::int64_t log_points) {
  std::set<std::int64_t> s;
  for (std::int64_t i = 1; i <= linear_points; ++i) s.insert(std::max<std::int64_t>(1, i * epochs / linear_points));
  for (std::int64_t i = 0; i < log_points; ++i) {
    const double e = std::pow(static_cast<double>(epochs), static_cast<double>(i) / std::max<std::int64_t>(log_points - 1, 1));
    s.insert(std::clamp<std::int64_t>(static_cast<std::int64_t>(std::llround(e)), 1, epochs));
  }
  return {s.begin(), s.end()};
}

nlohmann::json settings_of(const TMSStudyOptions& o) {
  return {{"study", "tms"},       {"epochs", o.epochs},           {"n", o.n},
          {"features", o.features}, {"hidden", o.hidden},         {"linear_points", o.linear_points},
          {"log_points", o.log_points}, {"bias_std", o.bias_std}, {"sgd", {{"lr", TmsRecipe{}.lr}, {"momentum", TmsRecipe{}.momentum}, {"batch", TmsRecipe{}.batch}}},
          {"sampler", to_json(o.sampler)}};
}

nlohmann::json run_seed(const TMSStudyOptions& o, std::uint64_t seed) {
  SparseFeatureOptions fo;
  fo.n = o.n;
  fo.features = o.features;
  fo.active = 1;
  const Dataset data = sparse_features(fo, seed);
  Generator gen(seed, 1);
  ToyModel model(o.features, o.hidden, gen);
  init_noisy_kgon(model, KGonInit{.k = 2, .bias_std = o.bias_std}, gen);
  TmsTraining training(model, data, TmsRecipe{.epochs = o.epochs}, seed);
  const std::vector<std::int64_t> at = checkpoint_epochs(o.epochs, o.linear_points, o.log_points);
  std::vector<double> loss{full_data_loss(model, mse_loss_fn(), data)};  // epoch 0
  nlohmann::json llc = nlohmann::json::array();
  std::size_t next = 0;
  SamplerConfig c = o.sampler;
  c.seed = seed;
  for (std::int64_t epoch = 1; epoch <= o.epochs; ++epoch) {
    training.epoch();
    loss.push_back(full_data_loss(model, mse_loss_fn(), data));
    if (next < at.size() && at[next] == epoch) {
      const LLCResult r = estimate_llc(model, mse_loss_fn(), data, c);
      llc.push_back({{"epoch", epoch},
                     {"llc", std::isfinite(r.mean) ? nlohmann::json(r.mean) : nlohmann::json(nullptr)},
                     {"llc_std", std::isfinite(r.std) ? nlohmann::json(r.std) : nlohmann::json(nullptr)},
                     {"loss", r.init_loss},
                     {"below_init_fraction", r.diagnostics.below_init_fraction}});
      ++next;
    }
  }
  // transitions and the plateaus around them
  const std::vector<Transition> transitions = detect_transitions(loss);
  auto plateau_stats = [&](std::int64_t from, std::int64_t to) {
    // mean loss and mean λ̂ over the checkpoints inside [from, to]
    double l = 0, lambda = 0;
    std::int64_t nl = 0, nlambda = 0;
    for (std::int64_t e = from; e <= to; ++e) {
      l += loss[e];
      ++nl;
    }
    for (const auto& p : llc) {
      const auto e = p["epoch"].get<std::int64_t>();
      // a checkpoint where the sampler keeps descending (w* not a minimum) says nothing
      if (e >= from && e <= to && p["llc"].is_number() && p["below_init_fraction"].get<double>() <= 0.5) {
        lambda += p["llc"].get<double>();
        ++nlambda;
      }
    }
    return std::pair<double, double>{l / static_cast<double>(std::max<std::int64_t>(nl, 1)),
                                     nlambda ? lambda / static_cast<double>(nlambda) : std::nan("")};
  };
  // a drop counts as a transition between plateaus only if a plateau of at least
  // kMinPlateau epochs precedes it (the first epochs' descent from the
  // initialisation does not)
  constexpr std::int64_t kMinPlateau = 25;
  nlohmann::json rows = nlohmann::json::array();
  for (std::size_t t = 0; t < transitions.size(); ++t) {
    const Transition& tr = transitions[t];
    const std::int64_t next_end = t + 1 < transitions.size() ? transitions[t + 1].drop_start : o.epochs;
    const auto [loss_a, llc_a] = plateau_stats(tr.plateau_start, tr.drop_start);
    const auto [loss_b, llc_b] = plateau_stats(tr.drop_end, next_end);
    const double df = free_energy_difference(o.n, loss_a, llc_a, loss_b, llc_b);
    rows.push_back({{"transition", static_cast<std::int64_t>(t)},
                    {"plateau_start", tr.plateau_start},
                    {"drop_start", tr.drop_start},
                    {"drop_end", tr.drop_end},
                    {"dwell", tr.drop_start - tr.plateau_start},
                    {"plateau_before", tr.drop_start - tr.plateau_start >= kMinPlateau},
                    {"loss_before", loss_a},
                    {"loss_after", loss_b},
                    {"llc_before", std::isfinite(llc_a) ? nlohmann::json(llc_a) : nlohmann::json(nullptr)},
                    {"llc_after", std::isfinite(llc_b) ? nlohmann::json(llc_b) : nlohmann::json(nullptr)},
                    {"delta_f", std::isfinite(df) ? nlohmann::json(df) : nlohmann::json(nullptr)}});
  }
  return {{"seed", seed}, {"loss", loss}, {"llc", llc}, {"transitions", rows}, {"n", o.n}};
}

double num(const nlohmann::json& v) { return v.is_number() ? v.get<double>() : std::nan(""); }

}  // namespace

nlohmann::json run_tms_study(const TMSStudyOptions& o) {
  check(o.seeds >= 1 && o.epochs >= 2, "lambdahat tms", "needs --seeds >= 1 and --epochs >= 2");
  validate(o.sampler, o.n);
  const nlohmann::json settings = settings_of(o);
  UnitStore store(o.out, "tms", settings);
  auto unit = [&](std::int64_t i) {
    char name[32];
    std::snprintf(name, sizeof name, "seed_%06llu", static_cast<unsigned long long>(o.first_seed + i));
    return std::string(name);
  };
  run_units(
      "tms seeds", o.seeds, o.threads, [&](std::int64_t i) { return store.done(unit(i)); },
      [&](std::int64_t i) { return run_seed(o, o.first_seed + static_cast<std::uint64_t>(i)); },
      [&](std::int64_t i, const nlohmann::json& r) { store.save(unit(i), r); }, o.shard);
  if (o.shard.active()) return shard_result(o.shard, o.seeds);
  if (!cluster::is_writer()) return {};  // the tables are rank 0's

  std::vector<std::vector<std::string>> run_rows, trajectory_rows;
  std::vector<double> dwell, delta_f;
  std::int64_t transitions = 0;
  std::vector<nlohmann::json> results;
  for (std::int64_t i = 0; i < o.seeds; ++i) results.push_back(store.load(unit(i)));
  for (const auto& r : results) {
    const auto seed = r["seed"].get<std::int64_t>();
    for (const auto& t : r["transitions"]) {
      ++transitions;
      const double lb = num(t["llc_before"]), la = num(t["llc_after"]);
      run_rows.push_back({cell(seed), cell(t["transition"].get<std::int64_t>()), cell(t["plateau_start"].get<std::int64_t>()),
                          cell(t["drop_start"].get<std::int64_t>()), cell(t["drop_end"].get<std::int64_t>()),
                          cell(t["dwell"].get<std::int64_t>()), t["plateau_before"].get<bool>() ? "yes" : "no",
                          cell(num(t["loss_before"])), cell(num(t["loss_after"])),
                          cell(lb), cell(la), cell(la - lb), cell(num(t["delta_f"]))});
      if (std::isfinite(num(t["delta_f"])) && t["plateau_before"].get<bool>()) {
        dwell.push_back(static_cast<double>(t["dwell"].get<std::int64_t>()));
        delta_f.push_back(num(t["delta_f"]));
      }
    }
    // trajectory: the loss at every λ̂ checkpoint
    for (const auto& p : r["llc"])
      trajectory_rows.push_back({cell(seed), cell(p["epoch"].get<std::int64_t>()), cell(num(p["loss"])),
                                 cell(num(p["llc"])), cell(num(p["llc_std"])), cell(num(p["below_init_fraction"]))});
  }
  write_csv((fs::path(o.out) / "runs.csv").string(),
            {"seed", "transition", "plateau_start", "drop_start", "drop_end", "dwell", "plateau_before", "loss_before",
             "loss_after", "llc_before", "llc_after", "delta_llc", "delta_f"},
            run_rows);
  write_csv((fs::path(o.out) / "trajectory.csv").string(), {"seed", "epoch", "train_loss", "llc", "llc_std", "below_init_fraction"},
            trajectory_rows);

  nlohmann::json summary = provenance(settings);
  summary["counts"] = {{"seeds", o.seeds}, {"transitions", transitions}, {"used_in_fit", static_cast<std::int64_t>(dwell.size())}};
  summary["x"] = "log(epochs spent on the plateau before the drop)";
  summary["fit_linear"] = nullptr;
  summary["fit_quadratic"] = nullptr;
  bool distinct = false;
  for (double d : dwell) distinct = distinct || d != dwell.front();
  if (dwell.size() >= 3 && distinct) {
    const RateLawFit fit = fit_rate_law(dwell, delta_f, 2000, o.first_seed);
    summary["fit_linear"] = {{"coefficients", fit.linear.coefficients}, {"r2", fit.linear.r2},
                             {"slope_ci", {fit.slope_ci_low, fit.slope_ci_high}}, {"confidence", fit.confidence}};
    if (!fit.quadratic.coefficients.empty())
      summary["fit_quadratic"] = {{"coefficients", fit.quadratic.coefficients}, {"r2", fit.quadratic.r2}};
  }
  write_file_atomically((fs::path(o.out) / "summary.json").string(), summary.dump(2) + "\n");

  // figures: the first seed's loss and λ̂ with the transitions marked, and ΔF vs log time
  const auto& first = results.front();
  std::vector<double> epochs, loss;
  const auto l = first["loss"].get<std::vector<double>>();
  for (std::size_t e = 1; e < l.size(); ++e) {
    epochs.push_back(static_cast<double>(e));
    loss.push_back(l[e]);
  }
  Plot lp("Toy model, seed " + std::to_string(first["seed"].get<std::int64_t>()) + ": training loss", "epoch (log scale)",
          "MSE (log scale)");
  lp.log_x().log_y();
  lp.add({"full-data loss", epochs, loss, {}, Series::Style::line, ""});
  std::vector<double> le, lv, ls;
  for (const auto& p : first["llc"]) {
    if (!p["llc"].is_number() || p["below_init_fraction"].get<double>() > 0.5) continue;  // not at a minimum
    le.push_back(p["epoch"].get<double>());
    lv.push_back(num(p["llc"]));
    ls.push_back(num(p["llc_std"]));
  }
  Plot llc("Toy model, seed " + std::to_string(first["seed"].get<std::int64_t>()) + ": LLC over training",
           "epoch (log scale)", "λ̂ (checkpoints near a minimum)");
  llc.log_x();
  llc.add({"λ̂ ± sd over chains", le, lv, ls, Series::Style::line_markers, ""});
  int k = 0;
  for (const auto& t : first["transitions"]) {
    std::string label = "T";
    label += std::to_string(++k);
    lp.mark_x(t["drop_start"].get<double>(), label);
    llc.mark_x(t["drop_start"].get<double>(), label);
  }
  lp.save((fs::path(o.out) / "tms_loss.svg").string());
  llc.save((fs::path(o.out) / "tms_llc.svg").string());
  Plot rate("Toy model: free-energy difference against dwell time", "epochs on the plateau (log scale)",
            "ΔF between consecutive plateaus");
  rate.log_x();
  rate.add({"transitions", dwell, delta_f, {}, Series::Style::markers, ""});
  if (summary["fit_linear"].is_object()) {
    const auto c = summary["fit_linear"]["coefficients"].get<std::vector<double>>();
    const double lo = *std::min_element(dwell.begin(), dwell.end()), hi = *std::max_element(dwell.begin(), dwell.end());
    std::vector<double> xs, ys;
    for (int i = 0; i <= 40; ++i) {
      const double d = lo * std::pow(hi / lo, i / 40.0);
      xs.push_back(d);
      ys.push_back(c[0] + c[1] * std::log(d));
    }
    char label[64];
    std::snprintf(label, sizeof label, "linear fit, R² = %.2f", summary["fit_linear"]["r2"].get<double>());
    rate.add({label, xs, ys, {}, Series::Style::line, ""});
  }
  rate.save((fs::path(o.out) / "tms_rate_law.svg").string());
  return summary;
}

}  // namespace lambdahat::cli
