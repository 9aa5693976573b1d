#include "shards.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <algorithm>
#include <sstream>

#include "lambdahat.hpp"
#include "report.hpp"

namespace lambdahat::cli {

namespace fs = std::filesystem;

namespace {

// The command line without the given flags and their values (as "--flag value" or
// "--flag=value").
std::vector<std::string> without(const std::vector<std::string>& args, const std::vector<std::string>& flags) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const auto is = [&](const std::string& f) { return a == f; };
    const auto is_joined = [&](const std::string& f) { return a.rfind(f + "=", 0) == 0; };
    if (std::any_of(flags.begin(), flags.end(), is)) {
      ++i;  // and its value
      continue;
    }
    if (std::any_of(flags.begin(), flags.end(), is_joined)) continue;
    out.push_back(a);
  }
  return out;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  check(static_cast<bool>(in), "lambdahat merge", "cannot read ", path.string());
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

struct ShardRecord {
  std::string dir;
  Shard shard;
  std::vector<std::string> command;  // without --shard and --out
};

ShardRecord read_record(const std::string& dir) {
  const fs::path file = fs::path(dir) / "shard.json";
  check(fs::is_directory(dir), "lambdahat merge", dir, " is not a directory");
  check(fs::is_regular_file(file), "lambdahat merge", dir, " holds no shard.json: it is not the --out of a --shard run");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text(file));
  } catch (const nlohmann::json::exception&) {
    fail("lambdahat merge", file.string(), " is not valid JSON");
  }
  check(j.is_object() && j.contains("shard") && j["shard"].is_string() && j.contains("args") && j["args"].is_array(),
        "lambdahat merge", file.string(), " is not a shard record (needs \"shard\" and \"args\")");
  std::vector<std::string> args;
  for (const auto& a : j["args"]) {
    check(a.is_string(), "lambdahat merge", file.string(), ": \"args\" must be strings");
    args.push_back(a.get<std::string>());
  }
  return {dir, parse_shard(j["shard"].get<std::string>()), without(args, {"--shard", "--out"})};
}

bool is_result_file(const fs::path& rel) {
  if (rel.filename() == "settings.json") return true;
  return std::any_of(rel.begin(), rel.end(), [](const fs::path& part) { return part == "units"; });
}

}  // namespace

void add_shard_option(CLI::App& cmd, Shard& shard, const std::string& help) {
  cmd.add_option_function<std::string>("--shard", [&shard](const std::string& text) { shard = parse_shard(text); }, help)
      ->type_name("k/N")
      ->check([](const std::string& text) {
        try {
          parse_shard(text);
          return std::string();
        } catch (const Error&) {
          return text + " is not k/N (two integers, 0 <= k < N <= 100000)";
        }
      });
}

void record_shard(const std::string& out, const Shard& shard, const std::vector<std::string>& args) {
  const nlohmann::json record = {
      {"program", "lambdahat"}, {"version", kVersion}, {"shard", shard.text()}, {"args", args}};
  write_file_atomically((fs::path(out) / "shard.json").string(), record.dump(2) + "\n");
}

std::vector<std::string> merge_shards(const std::string& out, const std::vector<std::string>& shard_dirs) {
  check(!shard_dirs.empty(), "lambdahat merge", "name the shards' output directories");
  std::vector<ShardRecord> records;
  for (const std::string& dir : shard_dirs) records.push_back(read_record(dir));
  const ShardRecord& first = records.front();
  static const std::vector<std::string> studies = {"scaling", "grok", "tms", "paper"};
  check(!first.command.empty() && std::find(studies.begin(), studies.end(), first.command.front()) != studies.end(),
        "lambdahat merge", first.dir, "/shard.json does not record a study (scaling, grok, tms or paper)");
  std::map<std::int64_t, std::string> seen;
  for (const ShardRecord& r : records) {
    check(r.command == first.command && r.shard.count == first.shard.count, "lambdahat merge", r.dir,
          " was made by another command than ", first.dir, " (see their shard.json)");
    const auto [at, fresh] = seen.emplace(r.shard.index, r.dir);
    check(fresh, "lambdahat merge", "shard ", r.shard.text(), " is given twice (", at->second, " and ", r.dir, ")");
    check(!fs::exists(out) || !fs::equivalent(out, r.dir), "lambdahat merge", "--out ", out,
          " is one of the shards; merge into a directory of its own");
  }
  for (std::int64_t k = 0; k < first.shard.count; ++k)
    check(seen.count(k) > 0, "lambdahat merge", "shard ", k, "/", first.shard.count, " is missing");

  // every finished unit and the settings that made it; nothing else is copied
  for (const ShardRecord& r : records) {
    for (auto it = fs::recursive_directory_iterator(r.dir); it != fs::recursive_directory_iterator(); ++it) {
      check(!it->is_symlink(), "lambdahat merge", it->path().string(), " is a symbolic link; shards hold plain files");
      if (!it->is_regular_file()) continue;
      const fs::path rel = fs::relative(it->path(), r.dir);
      if (!is_result_file(rel)) continue;
      const std::string text = read_text(it->path());
      const fs::path target = fs::path(out) / rel;
      if (fs::exists(target)) {
        check(read_text(target) == text, "lambdahat merge", target.string(), " differs from ", it->path().string(),
              ": the shards disagree, or --out holds another run");
        continue;
      }
      fs::create_directories(target.parent_path());
      write_file_atomically(target.string(), text);
    }
  }
  std::vector<std::string> finish = first.command;
  finish.push_back("--out");
  finish.push_back(out);
  return finish;
}

std::vector<ChainTrace>& merged_traces() {
  static std::vector<ChainTrace> traces;
  return traces;
}

void record_llc_shard(const std::string& path, const Shard& shard, const std::vector<std::string>& args,
                      const std::vector<ChainTrace>& traces) {
  nlohmann::json chains = nlohmann::json::array();
  for (std::size_t c = 0; c < traces.size(); ++c)
    if (shard.owns(static_cast<std::int64_t>(c))) chains.push_back(trace_to_json(traces[c], static_cast<std::int64_t>(c)));
  const nlohmann::json record = {{"program", "lambdahat"},
                                 {"version", kVersion},
                                 {"shard", shard.text()},
                                 {"args", args},
                                 {"chains", traces.size()},
                                 {"traces", chains}};
  write_file_atomically(path, record.dump() + "\n");
}

LlcMerge merge_llc_shards(const std::string& out, const std::vector<std::string>& shard_files) {
  check(!shard_files.empty(), "lambdahat merge", "name the shards' files");
  LlcMerge merged;
  std::vector<std::string> command;
  std::int64_t count = 0, chains = 0;
  std::map<std::int64_t, std::string> seen;
  for (const std::string& file : shard_files) {
    check(fs::is_regular_file(file), "lambdahat merge", file, " is not a file");
    check(!fs::exists(out) || !fs::equivalent(out, file), "lambdahat merge", "--out ", out,
          " is one of the shards; merge into a file of its own");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_text(file));
    } catch (const nlohmann::json::exception&) {
      fail("lambdahat merge", file, " is not valid JSON");
    }
    check(j.is_object() && j.contains("shard") && j.contains("args") && j.contains("chains") && j.contains("traces") &&
              j["shard"].is_string() && j["args"].is_array() && j["chains"].is_number_integer() &&
              j["traces"].is_array(),
          "lambdahat merge", file, " is not the --json of lambdahat llc --shard");
    const Shard shard = parse_shard(j["shard"].get<std::string>());
    std::vector<std::string> args;
    for (const auto& a : j["args"]) {
      check(a.is_string(), "lambdahat merge", file, ": \"args\" must be strings");
      args.push_back(a.get<std::string>());
    }
    args = without(args, {"--shard", "--json"});
    if (command.empty()) {
      command = args;
      count = shard.count;
      chains = j["chains"].get<std::int64_t>();
      check(chains >= 1 && chains <= 1024, "lambdahat merge", file, ": ", chains, " chains is out of range");
      merged.traces.assign(static_cast<std::size_t>(chains), ChainTrace{});
    }
    check(args == command && shard.count == count && j["chains"].get<std::int64_t>() == chains, "lambdahat merge", file,
          " was made by another command than ", shard_files.front());
    const auto [at, fresh] = seen.emplace(shard.index, file);
    check(fresh, "lambdahat merge", "shard ", shard.text(), " is given twice (", at->second, " and ", file, ")");
    std::int64_t held = 0;
    for (const auto& t : j["traces"]) {
      trace_from_json(t, merged.traces, file);
      check(shard.owns(t["chain"].get<std::int64_t>()), "lambdahat merge", file, " holds chain ", t["chain"],
            ", which is not shard ", shard.text(), "'s");
      ++held;
    }
    std::int64_t owned = 0;
    for (std::int64_t c = 0; c < chains; ++c) owned += shard.owns(c);
    check(held == owned, "lambdahat merge", file, " holds ", held, " chains, not the ", owned, " of shard ", shard.text());
  }
  for (std::int64_t k = 0; k < count; ++k)
    check(seen.count(k) > 0, "lambdahat merge", "shard ", k, "/", count, " is missing");
  check(!command.empty() && command.front() == "llc", "lambdahat merge", shard_files.front(),
        " does not record a lambdahat llc command");
  merged.finish = command;
  merged.finish.push_back("--json");
  merged.finish.push_back(out);
  return merged;
}

}  // namespace lambdahat::cli
