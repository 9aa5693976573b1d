// lambdahat scaling: λ̂ against problem difficulty, with theory where it exists.
//
//   polynomial   the power k of f = x w^k (one parameter, λ = 1/(2k), m = 1) and of
//                f = x w1^k w2^k (two parameters, λ = 1/(2k), m = 2)
//   dln          the teacher rank r at widths 5-4-4-5, and the depth L at rank 1 with
//                width 4 everywhere (Aoyagi 2024)
//   autoencoder  the bottleneck h at data rank s = 3, and s at h = 3, in R^8, linear
//                (theory: reduced-rank regression) and ReLU (no theory)
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "problems.hpp"
#include "report.hpp"
#include "cluster.hpp"
#include "store.hpp"
#include "studies.hpp"
#include "svg.hpp"

namespace lambdahat::cli {

namespace fs = std::filesystem;

namespace {

struct Config {
  std::string sweep;    // what is swept
  std::string variant;  // a series of the sweep's figure
  double value;         // the swept value
  ProblemSpec spec;
};

std::vector<Config> configs(const std::string& family, bool quick) {
  std::vector<Config> out;
  if (family == "polynomial") {
    const int kmax = quick ? 3 : 5;
    for (int k = 1; k <= kmax; ++k) {
      ProblemSpec one;
      one.model = "polynomial";
      one.powers = {k};
      out.push_back({"power k", "f = x w^k", static_cast<double>(k), one});
      ProblemSpec two = one;
      two.powers = {k, k};
      out.push_back({"power k", "f = x w1^k w2^k", static_cast<double>(k), two});
    }
  } else if (family == "dln") {
    for (std::int64_t r = 0; r <= 4; ++r) {
      ProblemSpec s;
      s.model = "dln";
      s.widths = {5, 4, 4, 5};
      s.rank = r;
      out.push_back({"teacher rank r", "widths 5-4-4-5", static_cast<double>(r), s});
    }
    const int lmax = quick ? 3 : 5;
    for (int L = 1; L <= lmax; ++L) {
      ProblemSpec s;
      s.model = "dln";
      s.widths = std::vector<std::int64_t>(static_cast<std::size_t>(L + 1), 4);
      s.rank = 1;
      out.push_back({"depth L", "width 4, rank 1", static_cast<double>(L), s});
    }
  } else if (family == "autoencoder") {
    for (bool relu : {false, true}) {
      const std::string variant = relu ? "ReLU" : "linear";
      for (std::int64_t h = 1; h <= 6; ++h) {
        ProblemSpec s;
        s.model = "autoencoder";
        s.dim = 8;
        s.rank = 3;
        s.bottleneck = h;
        s.relu = relu;
        out.push_back({"bottleneck h (s = 3)", variant, static_cast<double>(h), s});
      }
      for (std::int64_t rank = 1; rank <= 6; ++rank) {
        ProblemSpec s;
        s.model = "autoencoder";
        s.dim = 8;
        s.rank = rank;
        s.bottleneck = 3;
        s.relu = relu;
        out.push_back({"data rank s (h = 3)", variant, static_cast<double>(rank), s});
      }
    }
  } else {
    fail("lambdahat scaling", "unknown family ", family, " (polynomial, dln, autoencoder)");
  }
  return out;
}

double num(const nlohmann::json& v) { return v.is_number() ? v.get<double>() : std::nan(""); }

}  // namespace

std::string slug(const std::string& name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

nlohmann::json run_scaling_study(const ScalingStudyOptions& o) {
  check(o.seeds >= 1, "lambdahat scaling", "--seeds must be >= 1");
  const std::vector<Config> cfgs = configs(o.family, o.quick);
  // the settings record every configuration's sampler, so that results made with
  // other defaults are never mixed in when resuming
  nlohmann::json samplers = nlohmann::json::array();
  for (const Config& c : cfgs) samplers.push_back(to_json(default_sampler(c.spec)));
  const nlohmann::json settings = {{"study", "scaling"},           {"family", o.family},
                                   {"first_seed", o.first_seed},   {"quick", o.quick},
                                   {"samplers", samplers}};
  UnitStore store(o.out, "scaling_" + o.family, settings);
  const std::int64_t total = static_cast<std::int64_t>(cfgs.size()) * o.seeds;
  auto unit = [&](std::int64_t i) {
    const Config& c = cfgs[static_cast<std::size_t>(i / o.seeds)];
    char name[160];
    std::snprintf(name, sizeof name, "%s__%s__%g__seed_%06llu", slug(c.sweep).c_str(), slug(c.variant).c_str(), c.value,
                  static_cast<unsigned long long>(o.first_seed + static_cast<std::uint64_t>(i % o.seeds)));
    return std::string(name);
  };
  run_units("scaling " + o.family, total, o.threads, [&](std::int64_t i) { return store.done(unit(i)); },
            [&](std::int64_t i) {
              const Config& c = cfgs[static_cast<std::size_t>(i / o.seeds)];
              ProblemSpec spec = c.spec;
              spec.seed = o.first_seed + static_cast<std::uint64_t>(i % o.seeds);
              if (o.quick) {
                if (spec.model == "polynomial") spec.n = 2000;
                else spec.n = 2000, spec.train_steps = 2000;
              }
              Problem pr = make_problem(spec);
              const SamplerConfig sc = pr.sampler;
              // quick: the calibration aims at a 5 % MCSE within a tenth of the budget
              LLCOptions options;
              if (o.quick) {
                options.targets.relative_mcse = 0.05;
                options.targets.max_steps_per_chain = 20000;
              }
              const LLCResult r = estimate_llc(*pr.model, pr.loss, pr.data, sc, options);
              const std::optional<double> finite_n = finite_n_target(spec, pr, r.config);
              // the leading-order value the estimator targets at this n and nβ
              const nlohmann::json at_n =
                  pr.theory && llc_target_defined(*pr.theory, r.nbeta) ? nlohmann::json(llc_target_at_n(*pr.theory, r.nbeta))
                                                                       : nlohmann::json(nullptr);
              return nlohmann::json{{"sweep", c.sweep},
                                   {"variant", c.variant},
                                   {"value", c.value},
                                   {"seed", spec.seed},
                                   {"model", pr.description},
                                   {"llc_mean", r.mean},
                                   {"llc_std", r.std},
                                   {"theory_lambda", pr.theory ? nlohmann::json(pr.theory->lambda) : nlohmann::json(nullptr)},
                                   {"multiplicity", pr.theory ? nlohmann::json(pr.theory->multiplicity) : nlohmann::json(nullptr)},
                                   {"finite_n_target", finite_n ? nlohmann::json(*finite_n) : nlohmann::json(nullptr)},
                                   {"theory_at_n", at_n},
                                   {"mcse", r.diagnostics.mcse},
                                   {"ess", r.diagnostics.ess_bulk},
                                   {"ess_tail", r.diagnostics.ess_tail},
                                   {"calibration", r.calibration.summary()},
                                   {"rhat", std::isfinite(r.diagnostics.rhat) ? nlohmann::json(r.diagnostics.rhat) : nlohmann::json(nullptr)},
                                   {"mala_acceptance", std::isfinite(r.diagnostics.mala_acceptance) ? nlohmann::json(r.diagnostics.mala_acceptance) : nlohmann::json(nullptr)},
                                   {"below_init_fraction", r.diagnostics.below_init_fraction},
                                   {"diverged_chains", r.diagnostics.diverged_chains},
                                   {"train_loss", pr.train_loss},
                                   {"warnings", r.warnings},
                                   {"seconds", r.seconds},
                                   {"sampler", to_json(r.config)}};
            },
            [&](std::int64_t i, const nlohmann::json& r) { store.save(unit(i), r); }, o.shard);
  if (o.shard.active()) return shard_result(o.shard, total);
  if (!cluster::is_writer()) return {};  // the tables are rank 0's

  // the table, one row per configuration and seed
  std::vector<std::vector<std::string>> rows;
  struct Group {
    std::vector<double> llc, std;
    std::vector<double> finite_n;
    double theory = std::nan(""), multiplicity = std::nan("");
  };
  std::map<std::tuple<std::string, std::string, double>, Group> groups;
  for (std::int64_t i = 0; i < total; ++i) {
    const nlohmann::json r = store.load(unit(i));
    const double finite_n = num(r.value("finite_n_target", nlohmann::json(nullptr)));
    rows.push_back({o.family, r["sweep"].get<std::string>(), r["variant"].get<std::string>(), cell(num(r["value"])),
                    cell(r["seed"].get<std::int64_t>()), cell(num(r["llc_mean"])), cell(num(r["llc_std"])),
                    cell(num(r["theory_lambda"])), cell(num(r["multiplicity"])), cell(finite_n), cell(num(r["ess"])),
                    cell(num(r["rhat"])),
                    cell(num(r["mala_acceptance"])), cell(num(r["below_init_fraction"])),
                    cell(r["diverged_chains"].get<std::int64_t>()), cell(num(r["train_loss"]))});
    Group& g = groups[{r["sweep"].get<std::string>(), r["variant"].get<std::string>(), num(r["value"])}];
    g.llc.push_back(num(r["llc_mean"]));
    g.std.push_back(num(r["llc_std"]));
    g.finite_n.push_back(finite_n);
    g.theory = num(r["theory_lambda"]);
    g.multiplicity = num(r["multiplicity"]);
  }
  write_csv((fs::path(o.out) / "scaling.csv").string(),
            {"family", "sweep", "variant", "value", "seed", "llc_mean", "llc_std", "theory_lambda", "multiplicity",
             "finite_n_target", "ess", "rhat", "mala_acceptance", "below_init_fraction", "diverged_chains", "train_loss"},
            rows);

  // per configuration: mean over seeds; the error bar is the spread over seeds (or,
  // with one seed, the spread over chains)
  nlohmann::json summary = provenance(settings);
  nlohmann::json table = nlohmann::json::array();
  // the finite-n columns appear where the family has an exact finite-n target
  bool any_finite_n = false;
  for (const auto& [key, g] : groups)
    for (double v : g.finite_n) any_finite_n = any_finite_n || std::isfinite(v);
  std::printf("\n%-22s %-18s %6s %10s %9s %9s %6s", "sweep", "variant", "value", "llc", "± sd", "theory", "ratio");
  if (any_finite_n) std::printf(" %9s %6s", "finite n", "ratio");
  std::printf("\n");
  struct Point {
    double x, llc, sd, theory, finite_n;
  };
  std::map<std::string, std::map<std::string, std::vector<Point>>> figures;
  for (const auto& [key, g] : groups) {
    const auto& [sweep, variant, value] = key;
    double m = 0, s = 0;
    for (double v : g.llc) m += v;
    m /= static_cast<double>(g.llc.size());
    if (g.llc.size() > 1) {
      for (double v : g.llc) s += (v - m) * (v - m);
      s = std::sqrt(s / static_cast<double>(g.llc.size() - 1));
    } else {
      s = g.std.front();
    }
    // the target depends on the data set, so each seed has its own: averaged like λ̂
    double finite_n = 0;
    for (double v : g.finite_n) finite_n += v;
    finite_n /= static_cast<double>(g.finite_n.size());
    auto or_null = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
    table.push_back({{"sweep", sweep}, {"variant", variant}, {"value", value}, {"llc_mean", m}, {"llc_sd", s},
                     {"seeds", g.llc.size()},
                     {"theory_lambda", or_null(g.theory)}, {"multiplicity", or_null(g.multiplicity)},
                     {"ratio", or_null(m / g.theory)}, {"finite_n_target", or_null(finite_n)},
                     {"ratio_to_finite_n", or_null(m / finite_n)}});
    std::printf("%-22s %-18s %6g %10.4g %9.3g %9.4g %6.2f", sweep.c_str(), variant.c_str(), value, m, s, g.theory,
                m / g.theory);
    if (any_finite_n) std::printf(" %9.4g %6.2f", finite_n, m / finite_n);
    std::printf("\n");
    figures[sweep][variant].push_back({value, m, s, g.theory, finite_n});
  }
  summary["configurations"] = table;
  write_file_atomically((fs::path(o.out) / "summary.json").string(), summary.dump(2) + "\n");

  for (const auto& [sweep, variants] : figures) {
    // one seed: the bars are the spread over that seed's chains, not over seeds
    Plot plot("LLC scaling, " + o.family + ": " + sweep, sweep,
              o.seeds > 1 ? "λ̂ (error bars: sd over seeds)" : "λ̂ (error bars: sd over chains, one seed)");
    std::map<std::string, std::vector<std::pair<double, double>>> theory, finite_n;
    for (const auto& [variant, points] : variants) {
      Series s{variant, {}, {}, {}, Series::Style::line_markers, ""};
      for (const Point& p : points) {
        s.x.push_back(p.x);
        s.y.push_back(p.llc);
        s.error.push_back(p.sd);
        if (std::isfinite(p.theory)) theory[variant].emplace_back(p.x, p.theory);
        if (std::isfinite(p.finite_n)) finite_n[variant].emplace_back(p.x, p.finite_n);
      }
      plot.add(s);
    }
    auto add_curve = [&](const std::string& label, const std::vector<std::pair<double, double>>& points,
                         Series::Style style) {
      Series t{label, {}, {}, {}, style, ""};
      for (const auto& [x, y] : points) {
        t.x.push_back(x);
        t.y.push_back(y);
      }
      plot.add(t);
    };
    // one theory curve when every variant has the same (polynomial: λ = 1/(2k) for both)
    bool shared = theory.size() > 1;
    for (const auto& [variant, points] : theory) shared = shared && points == theory.begin()->second;
    if (shared) add_curve("theory λ", theory.begin()->second, Series::Style::dashed);
    else
      for (const auto& [variant, points] : theory) add_curve("theory λ (" + variant + ")", points, Series::Style::dashed);
    for (const auto& [variant, points] : finite_n)
      add_curve("exact finite-n target (" + variant + ")", points, Series::Style::markers);
    plot.save((fs::path(o.out) / ("scaling_" + o.family + "_" + slug(sweep) + ".svg")).string());
  }
  return summary;
}

}  // namespace lambdahat::cli
