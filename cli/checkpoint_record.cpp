// The record a checkpoint carries of the problem that made it: the model flags and
// the seed, one safetensors metadata entry per flag ("model": "grok", "seed": "3",
// "p": "53", ...). The key is the flag's name without its dashes and the value is
// the flag's text, so a record reads like the command line that made it. Also the
// parameters of a family's model by name, for `lambdahat params` and --sample-only.
#include <charconv>
#include <functional>
#include <map>
#include <sstream>

#include "families.hpp"

namespace lambdahat::cli {

namespace {

struct RecordedFlag {
  std::string name;  // the flag without its dashes, and the metadata key
  // the flag's text in this spec; nullopt when unset (the family's default applies)
  std::function<std::optional<std::string>(const ProblemSpec&)> get;
  // sets the spec from the text; throws lambdahat::Error on a bad value
  std::function<void(ProblemSpec&, const std::string&)> set;
};

std::int64_t parse_count(const std::string& text, const std::string& key) {
  std::int64_t v = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  check(ec == std::errc() && end == text.data() + text.size() && v >= 0 && v <= (std::int64_t{1} << 40),
        "lambdahat", "--checkpoint: its metadata gives ", key, " = '", text, "', not a count from 0 to 2^40");
  return v;
}

template <class T>
std::vector<T> parse_list(const std::string& text, const std::string& key) {
  std::vector<T> values;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) values.push_back(static_cast<T>(parse_count(item, key)));
  check(!values.empty(), "lambdahat", "--checkpoint: its metadata gives ", key, " = '", text, "', an empty list");
  return values;
}

template <class T>
std::string join(const std::vector<T>& values) {
  std::string text;
  for (const T& v : values) {
    if (!text.empty()) text += ',';
    text += std::to_string(v);
  }
  return text;
}

bool parse_switch(const std::string& text, const std::string& key) {
  check(text == "true" || text == "false", "lambdahat", "--checkpoint: its metadata gives ", key, " = '", text,
        "', not true or false");
  return text == "true";
}

// One entry per flag a record can hold.
const std::vector<RecordedFlag>& recorded_flags() {
  using S = ProblemSpec;
  using Text = std::optional<std::string>;
  static const std::vector<RecordedFlag> table = {
      {"model", [](const S& s) { return Text(s.model); }, [](S& s, const std::string& v) { s.model = v; }},
      {"seed", [](const S& s) { return Text(std::to_string(s.seed)); },
       [](S& s, const std::string& v) { s.seed = static_cast<std::uint64_t>(parse_count(v, "seed")); }},
      {"powers", [](const S& s) { return Text(join(s.powers)); },
       [](S& s, const std::string& v) { s.powers = parse_list<int>(v, "powers"); }},
      {"widths", [](const S& s) { return Text(join(s.widths)); },
       [](S& s, const std::string& v) { s.widths = parse_list<std::int64_t>(v, "widths"); }},
      {"rank", [](const S& s) { return s.rank ? Text(std::to_string(*s.rank)) : std::nullopt; },
       [](S& s, const std::string& v) { s.rank = parse_count(v, "rank"); }},
      {"dim", [](const S& s) { return Text(std::to_string(s.dim)); },
       [](S& s, const std::string& v) { s.dim = parse_count(v, "dim"); }},
      {"bottleneck", [](const S& s) { return Text(std::to_string(s.bottleneck)); },
       [](S& s, const std::string& v) { s.bottleneck = parse_count(v, "bottleneck"); }},
      {"relu", [](const S& s) { return Text(s.relu ? "true" : "false"); },
       [](S& s, const std::string& v) { s.relu = parse_switch(v, "relu"); }},
      {"tied", [](const S& s) { return Text(s.tied ? "true" : "false"); },
       [](S& s, const std::string& v) { s.tied = parse_switch(v, "tied"); }},
      {"features", [](const S& s) { return Text(std::to_string(s.features)); },
       [](S& s, const std::string& v) { s.features = parse_count(v, "features"); }},
      {"hidden", [](const S& s) { return Text(std::to_string(s.hidden)); },
       [](S& s, const std::string& v) { s.hidden = parse_count(v, "hidden"); }},
      {"kgon", [](const S& s) { return s.kgon ? Text(std::to_string(s.kgon)) : std::nullopt; },
       [](S& s, const std::string& v) { s.kgon = parse_count(v, "kgon"); }},
      {"p", [](const S& s) { return Text(std::to_string(s.p)); },
       [](S& s, const std::string& v) { s.p = parse_count(v, "p"); }},
      {"n", [](const S& s) { return s.n ? Text(std::to_string(*s.n)) : std::nullopt; },
       [](S& s, const std::string& v) { s.n = parse_count(v, "n"); }},
  };
  return table;
}

bool applies(const Family& f, const std::string& name) {
  if (name == "model" || name == "seed") return true;
  for (const std::string& flag : f.flags)
    if (flag == "--" + name) return true;
  return false;
}

bool given(const std::vector<std::string>& flags, const std::string& name) {
  for (const std::string& flag : flags)
    if (flag == "--" + name) return true;
  return false;
}

}  // namespace

std::map<std::string, std::string> checkpoint_metadata(const ProblemSpec& spec) {
  const Family& f = family(spec.model);
  std::map<std::string, std::string> record;
  for (const RecordedFlag& r : recorded_flags())
    if (applies(f, r.name))
      if (const auto text = r.get(spec)) record[r.name] = *text;
  return record;
}

std::vector<std::string> apply_checkpoint_metadata(ProblemSpec& spec, const std::vector<std::string>& given_flags) {
  const std::map<std::string, std::string> record = load_safetensors(spec.checkpoint).metadata;
  std::vector<std::string> warnings;
  // the model first: it decides which other flags apply
  if (const auto m = record.find("model"); m != record.end()) {
    check(!given(given_flags, "model") || spec.model == m->second, "lambdahat", "--model ", spec.model,
          ", but the checkpoint ", spec.checkpoint, " was made with --model ", m->second,
          "; leave --model out to use it");
    family(m->second);  // a model this command knows
    spec.model = m->second;
  }
  // a checkpoint from elsewhere: the data set is drawn from --seed, which may not be
  // the one the weights were trained on (a described network reads its data from a
  // file instead)
  if (!record.count("seed") && !given(given_flags, "seed") && spec.model != "network")
    warnings.push_back("the checkpoint " + spec.checkpoint + " does not record the seed it was trained with; the data "
                       "set is drawn with --seed " + std::to_string(spec.seed) + ": give --seed if it was another");
  const Family& f = family(spec.model);
  for (const RecordedFlag& r : recorded_flags()) {
    const auto entry = record.find(r.name);
    if (r.name == "model" || entry == record.end() || !applies(f, r.name)) continue;
    if (!given(given_flags, r.name)) {
      r.set(spec, entry->second);
      continue;
    }
    ProblemSpec recorded = spec;
    r.set(recorded, entry->second);
    if (r.get(recorded) != r.get(spec))
      warnings.push_back("--" + r.name + " " + r.get(spec).value_or("") + " differs from the checkpoint's " + r.name +
                         " " + entry->second + " (" + spec.checkpoint +
                         "): the data set differs from the one the weights were trained on, so w* need not be a "
                         "minimum of this L_n; leave --" + r.name + " out to use the checkpoint's");
  }
  return warnings;
}

std::vector<std::pair<std::string, Dims>> model_parameters(const ProblemSpec& spec) {
  const Family& f = family(spec.model);
  Generator init(spec.seed, 1);
  Made made = f.make(spec, init, /*train=*/false, [](const std::string&) {});
  std::vector<std::pair<std::string, Dims>> list;
  for (auto& [name, p] : made.model->named_parameters()) list.emplace_back(name, p.shape());
  return list;
}

void check_sample_only(const ProblemSpec& spec, const std::vector<std::string>& names) {
  if (names.empty()) return;
  const auto params = model_parameters(spec);
  std::string valid;
  for (const auto& [name, shape] : params) valid += (valid.empty() ? "" : ", ") + name;
  for (const std::string& name : names) {
    bool found = false;
    for (const auto& [p, shape] : params) found = found || p == name;
    check(found, "lambdahat", "--sample-only ", name, " is not a parameter of --model ", spec.model, "; its parameters are ",
          valid, " (lambdahat params lists them with their shapes)");
  }
}

}  // namespace lambdahat::cli
