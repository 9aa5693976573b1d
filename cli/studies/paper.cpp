// lambdahat paper: every study of the seed study, then one HTML page that shows each
// figure and table with a sentence on what it shows and the settings used.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "report.hpp"
#include "cluster.hpp"
#include "store.hpp"
#include "studies.hpp"

namespace lambdahat::cli {

namespace fs = std::filesystem;

namespace {

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

std::string fmt(double v, int digits = 3) {
  if (!std::isfinite(v)) return "–";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

double num(const nlohmann::json& v) { return v.is_number() ? v.get<double>() : std::nan(""); }

std::string figure(const std::string& src, const std::string& caption) {
  return "<figure><img src=\"" + src + "\" alt=\"" + html_escape(caption) + "\"><figcaption>" + caption +
         "</figcaption></figure>\n";
}

// A number with a proper minus sign (U+2212) for prose and tables.
std::string signed_text(double v) { return v < 0 ? "−" + fmt(-v) : fmt(v); }

std::string fit_sentence(const nlohmann::json& s) {
  if (!s["fit_linear"].is_object()) return "There were too few usable runs for a fit.";
  const auto c = s["fit_linear"]["coefficients"];
  std::ostringstream o;
  // "ΔF = −304 − 4.78·x": the sign belongs to the term
  const double slope = num(c[1]);
  o << "The linear fit ΔF = " << signed_text(num(c[0])) << (slope < 0 ? " − " : " + ") << fmt(std::abs(slope))
    << "·x has R² = "
    << fmt(num(s["fit_linear"]["r2"])) << "; the slope's " << fmt(100 * num(s["fit_linear"]["confidence"]), 2)
    << " % bootstrap interval is [" << signed_text(num(s["fit_linear"]["slope_ci"][0])) << ", "
    << signed_text(num(s["fit_linear"]["slope_ci"][1])) << "]";
  if (s["fit_quadratic"].is_object()) o << "; the quadratic fit has R² = " << fmt(num(s["fit_quadratic"]["r2"]));
  o << ".";
  return o.str();
}

// The report's first section: what was run and the headline numbers.
std::string headline(const std::vector<std::pair<std::string, nlohmann::json>>& scaling, const nlohmann::json& grok,
                     const nlohmann::json& tms) {
  std::vector<double> ratios;
  std::string families;
  for (const auto& [family, s] : scaling) {
    if (!families.empty()) families += ", ";
    families += family;
    for (const auto& c : s["configurations"])
      if (std::isfinite(num(c["ratio"]))) ratios.push_back(num(c["ratio"]));
  }
  std::ostringstream h;
  h << "<h2>Summary</h2>\n<ul>\n<li><b>LLC scaling</b> (" << html_escape(families) << "): ";
  if (ratios.empty()) {
    h << "no configuration with a known λ.";
  } else {
    std::sort(ratios.begin(), ratios.end());
    const std::size_t k = ratios.size();
    const double median = k % 2 ? ratios[k / 2] : (ratios[k / 2 - 1] + ratios[k / 2]) / 2;
    std::size_t within = 0;
    for (double r : ratios) within += std::abs(r - 1) <= 0.15;
    h << "median λ̂/λ " << fmt(median) << " over " << k << " configurations with a known λ, " << within
      << " of them within 15 % of it.";
  }
  h << "</li>\n<li><b>Grokking</b>: " << grok["counts"]["grokked"].get<std::int64_t>() << " of "
    << grok["counts"]["seeds"].get<std::int64_t>() << " runs grokked. " << fit_sentence(grok) << "</li>\n";
  h << "<li><b>Superposition</b>: " << tms["counts"]["transitions"].get<std::int64_t>() << " transitions in "
    << tms["counts"]["seeds"].get<std::int64_t>() << " runs. " << fit_sentence(tms) << "</li>\n</ul>\n";
  return h.str();
}

std::string scaling_section(const std::string& family, const nlohmann::json& s, const std::string& dir) {
  std::ostringstream h;
  h << "<h3>" << family << "</h3>\n";
  bool finite_n = false;  // does any configuration have an exact finite-n target?
  std::vector<std::string> sweeps;
  for (const auto& c : s["configurations"]) {
    finite_n = finite_n || c.value("finite_n_target", nlohmann::json()).is_number();
    const std::string sweep = c["sweep"].get<std::string>();
    if (std::find(sweeps.begin(), sweeps.end(), sweep) == sweeps.end()) sweeps.push_back(sweep);
  }
  for (const auto& sweep : sweeps) {
    const std::string file = "scaling_" + family + "_" + slug(sweep) + ".svg";
    if (!fs::exists(fs::path(dir) / file)) continue;
    h << figure(fs::path(dir).filename().string() + "/" + file,
                "λ̂ against " + sweep + " (points: mean over seeds, bars: spread); dashed: the exact λ where it is known" +
                    (finite_n ? "; dots alone: the exact finite-n target for the data and sampler settings used." : "."));
  }
  h << "<p>Theory λ (m): the exact learning coefficient λ and its multiplicity m, the order of the\n"
       "log log n term of the free energy.</p>\n"
       "<div class=\"wide\"><table><tr><th>sweep</th><th>variant</th><th>value</th><th>λ̂</th><th>± sd</th><th>theory λ (m)</th><th>λ̂/λ</th>"
    << (finite_n ? "<th>finite-n target</th><th>λ̂/target</th>" : "") << "</tr>\n";
  std::vector<std::string> deviations;
  for (const auto& c : s["configurations"]) {
    const double ratio = num(c["ratio"]);
    const double target = num(c.value("finite_n_target", nlohmann::json()));
    const bool off = std::isfinite(ratio) && std::abs(ratio - 1) > 0.15;
    h << "<tr" << (off ? " class=\"off\"" : "") << "><td>" << html_escape(c["sweep"].get<std::string>()) << "</td><td>"
      << html_escape(c["variant"].get<std::string>()) << "</td><td>" << fmt(num(c["value"])) << "</td><td>"
      << fmt(num(c["llc_mean"]), 4) << "</td><td>" << fmt(num(c["llc_sd"]), 2) << "</td><td>" << fmt(num(c["theory_lambda"]), 4)
      << (c["multiplicity"].is_number() ? " (" + fmt(num(c["multiplicity"]), 2) + ")" : std::string()) << "</td><td>"
      << fmt(ratio) << "</td>";
    if (finite_n) h << "<td>" << fmt(target, 4) << "</td><td>" << fmt(num(c["llc_mean"]) / target) << "</td>";
    h << "</tr>\n";
    if (off) {
      std::ostringstream d;
      d << c["variant"].get<std::string>() << ", " << c["sweep"].get<std::string>() << " = " << fmt(num(c["value"]))
        << ": λ̂/λ = " << fmt(ratio);
      if (std::isfinite(target))
        d << "; the exact finite-n target is " << fmt(target, 4) << ", λ̂/target = " << fmt(num(c["llc_mean"]) / target);
      else if (num(c["multiplicity"]) > 1)
        d << " (multiplicity " << fmt(num(c["multiplicity"]))
          << ": finite-n estimates sit below λ, through the (m − 1) log log n term of the free energy)";
      deviations.push_back(d.str());
    }
  }
  h << "</table></div>\n";
  if (!deviations.empty()) {
    h << "<p>Where the estimate is more than 15 % from theory (highlighted):</p><ul>";
    for (const auto& d : deviations) h << "<li>" << html_escape(d) << "</li>";
    h << "</ul>\n";
  } else {
    h << "<p>Every configuration with a known λ is within 15 % of it.</p>\n";
  }
  return h.str();
}

}  // namespace

std::string run_paper(const PaperOptions& o) {
  check(!o.out.empty(), "lambdahat paper", "--out DIR is required");
  if (cluster::is_writer()) fs::create_directories(o.out);
  const fs::path out(o.out);
  const auto started = std::chrono::steady_clock::now();

  // the scale: the study's, quick (minutes), or tiny (seconds, for tests)
  std::vector<std::pair<std::string, nlohmann::json>> scaling;
  const std::vector<std::string> families =
      o.tiny ? std::vector<std::string>{"polynomial"} : std::vector<std::string>{"polynomial", "dln", "autoencoder"};
  for (const std::string& family : families) {
    ScalingStudyOptions s;
    s.out = (out / ("scaling_" + family)).string();
    s.family = family;
    s.seeds = o.quick || o.tiny ? 1 : 3;
    s.quick = o.quick || o.tiny;
    s.first_seed = o.seed;
    s.threads = o.threads;
    s.shard = o.shard;
    scaling.emplace_back(family, run_scaling_study(s));
  }
  GrokStudyOptions g;
  g.out = (out / "grok").string();
  g.sampler = grok_sampler();
  g.seeds = 300;
  g.first_seed = o.seed;
  g.threads = o.threads;
  g.shard = o.shard;
  if (o.quick) make_quick(g);
  if (o.tiny) make_tiny(g);
  const nlohmann::json grok = run_grok_study(g);
  TMSStudyOptions t;
  t.out = (out / "tms").string();
  t.seeds = 20;
  t.sampler = tms_sampler();
  t.first_seed = o.seed;
  t.threads = o.threads;
  t.shard = o.shard;
  if (o.quick) {
    make_quick(t);
    t.seeds = 2;
  }
  if (o.tiny) make_tiny(t);
  const nlohmann::json tms = run_tms_study(t);
  if (o.shard.active()) return "";  // the report waits for `lambdahat merge`
  if (!cluster::is_writer()) return "";  // under MPI, rank 0 writes the report
  // A resumed run reuses finished units: the report states the time summed over
  // every invocation that worked on this directory, kept in paper_time.json.
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const fs::path time_file = out / "paper_time.json";
  nlohmann::json time_record = {{"seconds", 0.0}, {"invocations", 0}};
  if (fs::exists(time_file)) {
    std::ifstream in(time_file);
    const nlohmann::json previous = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (previous.is_object() && previous.value("seconds", nlohmann::json()).is_number() &&
        previous.value("invocations", nlohmann::json()).is_number_integer())
      time_record = previous;
  }
  time_record["seconds"] = time_record["seconds"].get<double>() + seconds;
  time_record["invocations"] = time_record["invocations"].get<std::int64_t>() + 1;
  write_file_atomically(time_file.string(), time_record.dump(2) + "\n");
  const std::int64_t invocations = time_record["invocations"].get<std::int64_t>();

  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>lambdahat: the seed study</title>\n<style>"
       "body{font-family:Helvetica,Arial,sans-serif;max-width:1000px;margin:2em auto;line-height:1.45;color:#222}"
       "figure{display:inline-block;margin:0.5em;width:46%;vertical-align:top}figure img{width:100%}"
       "figcaption{font-size:0.85em;color:#555}table{border-collapse:collapse;font-size:0.9em}"
       "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}tr.off{background:#fff3cd}"
       "code{background:#f4f4f4;padding:0 3px}.banner{background:#fff3cd;border:1px solid #e0c36a;padding:0.6em 1em}"
       // on a narrow screen: one figure per row, and wide tables scroll in their own box
       ".wide{overflow-x:auto}@media (max-width:700px){figure{width:100%;margin:0.5em 0}body{margin:1em}}"
       "</style></head><body>\n";
  h << "<h1>Local learning coefficients and phase transitions: the seed study</h1>\n";
  h << "<p>Made by lambdahat " << kVersion
    << (o.tiny ? " at a tiny test scale" : o.quick ? " at the <b>quick</b> scale (<code>lambdahat paper --quick</code>)"
                                                   : " at the study's scale (<code>lambdahat paper</code>)")
    << " in " << format_duration(time_record["seconds"].get<double>())
    << (invocations > 1 ? " (summed over " + std::to_string(invocations) + " invocations; this one took " +
                              format_duration(seconds) + ")"
                        : std::string())
    << ". Every number below is in the CSV and JSON files next to this page; "
       "each study directory also records what made it (<code>settings.json</code>).</p>\n";
  if (o.quick || o.tiny)
    h << "<p class=\"banner\"><b>Smoke-test settings.</b> This report was made at the "
      << (o.tiny ? "tiny test" : "quick") << " scale: one seed, small data sets, loose precision targets and few "
         "grokking and superposition runs. It shows that every stage runs; its ratios to theory and its fits are "
         "not the study's findings. For those, run <code>lambdahat paper --out DIR</code> (the study's scale; it "
         "resumes if stopped, and runs under <code>mpirun</code> or as <code>--shard k/N</code> jobs).</p>\n";
  h << headline(scaling, grok, tms);

  h << "<h2>1. LLC scaling with problem difficulty</h2>\n<p>Each model is trained to a minimum w* (teacher–student "
       "for the linear networks), then λ̂ is estimated with SGLD at nβ = n/log n and compared with the exact learning "
       "coefficient (<code>docs/theory.md</code>, \"Known learning coefficients\"). The sampler calibrates its step size, "
       "burn-in and draws for each model (<code>slt/README.md</code>)"
    << (o.quick ? "; the quick scale uses n = 2000, a 5 % precision target instead of 2 % and a tenth of the "
                  "step budget, one seed"
                : "; three seeds per configuration")
    << ".</p>\n";
  for (const auto& [family, s] : scaling) h << scaling_section(family, s, (out / ("scaling_" + family)).string());

  h << "<h2>2. Grokking: an Arrhenius-style rate law</h2>\n<p>The modular-addition MLP (p = " << g.p << ", "
    << fmt(100 * g.recipe.train_fraction, 2) << " % of the pairs) is trained with Adam (lr " << fmt(g.recipe.lr) << ", L2 weight decay "
    << fmt(g.recipe.weight_decay) << ", batch " << g.recipe.batch << ", "
    << g.recipe.steps << " steps, a checkpoint every " << g.checkpoint_every
    << " steps) from " << grok["counts"]["seeds"].get<std::int64_t>() << " seeds. A run groks when a checkpoint has train "
       "accuracy 1 (t_train) and a later one validation accuracy ≥ 0.95 (t_val); runs without both, or with "
       "t_val − t_train ≤ " << g.min_gap << " checkpoints, are skipped. λ̂ at both checkpoints: SGLD ε = 3e-3, nβ = 2, "
       "γ = 5, " << g.sampler.num_chains << " chains × " << *g.sampler.num_draws << " draws, batch 128. ΔF = n ΔL + log n Δλ̂ with "
       "n the number of training pairs (1123 for p = 53).</p>\n";
  h << "<p>" << grok["counts"]["grokked"].get<std::int64_t>() << " of " << grok["counts"]["seeds"].get<std::int64_t>()
    << " runs grokked within " << g.recipe.steps << " steps; " << grok["counts"]["used_in_fit"].get<std::int64_t>()
    << " enter the fit of ΔF against log(t_val − t_train). " << fit_sentence(grok) << "</p>\n";
  h << figure("grok/grok_rate_law.svg", "ΔF against the time between fitting and generalising, with the fits.")
    << figure("grok/grok_delta_llc.svg", "The distribution of Δλ̂ across grokking: how much more (or less) complex "
                                         "the generalising solution is.")
    << figure("grok/grok_seed_accuracy.svg", "One seed: train and validation accuracy; dashed lines mark t_train and t_val.")
    << figure("grok/grok_seed_loss.svg", "The same seed's losses.")
    << figure("grok/grok_seed_llc.svg", "The same seed's λ̂ along training (error bars: sd over chains).");

  h << "<h2>3. Toy model of superposition: transitions between plateaus</h2>\n<p>The toy model (8 features, 2 hidden "
       "dimensions, ReLU(WᵀWx + b)) is trained from a noisy 2-gon with SGD (lr 0.01, momentum 0.9, batch 100) for "
    << t.epochs << " epochs, " << t.seeds << " seeds; λ̂ is estimated at about " << t.linear_points
    << " linearly and " << t.log_points << " log-spaced epochs (ε = 5e-4, γ = 1, nβ = n/log n, " << t.sampler.num_chains
    << " chains × " << *t.sampler.num_draws << " draws, batch 512). Transitions are drops of the smoothed loss of at "
       "least 5 % of the total drop; ΔF is taken between consecutive plateaus.</p>\n";
  h << "<p>" << tms["counts"]["transitions"].get<std::int64_t>() << " transitions were found in "
    << tms["counts"]["seeds"].get<std::int64_t>() << " runs. " << fit_sentence(tms) << "</p>\n";
  h << figure("tms/tms_loss.svg", "One seed's training loss; dashed lines mark the detected transitions.")
    << figure("tms/tms_llc.svg", "The same seed's λ̂ over training: it jumps where the loss drops.")
    << figure("tms/tms_rate_law.svg", "ΔF between consecutive plateaus against the time spent on the first.");
  h << "<h2>Files</h2><ul><li><code>scaling_*/scaling.csv</code>, <code>scaling_*/summary.json</code></li>"
       "<li><code>grok/runs.csv</code>, <code>grok/summary.json</code></li>"
       "<li><code>tms/runs.csv</code>, <code>tms/trajectory.csv</code>, <code>tms/summary.json</code></li></ul>\n";
  h << "</body></html>\n";
  const std::string index = (out / "index.html").string();
  write_file_atomically(index, h.str());
  return index;
}

}  // namespace lambdahat::cli
