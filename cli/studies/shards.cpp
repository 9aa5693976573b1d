#include "shards.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "lambdahat.hpp"
#include "report.hpp"

namespace lambdahat::cli {

namespace fs = std::filesystem;

namespace {

// The command line without --shard and --out (and their values).
std::vector<std::string> without_shard_and_out(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--shard" || a == "--out") {
      ++i;  // and its value
      continue;
    }
    if (a.rfind("--shard=", 0) == 0 || a.rfind("--out=", 0) == 0) continue;
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
  return {dir, parse_shard(j["shard"].get<std::string>()), without_shard_and_out(args)};
}

bool is_result_file(const fs::path& rel) {
  if (rel.filename() == "settings.json") return true;
  return std::any_of(rel.begin(), rel.end(), [](const fs::path& part) { return part == "units"; });
}

}  // namespace

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

}  // namespace lambdahat::cli
