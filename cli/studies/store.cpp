#include "store.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "flags.hpp"
#include "lambdahat.hpp"
#include "report.hpp"
#include "cluster.hpp"

namespace lambdahat::cli {

namespace fs = std::filesystem;

UnitStore::UnitStore(std::string out_dir, std::string study, nlohmann::json settings)
    : out_(std::move(out_dir)), settings_(std::move(settings)) {
  check(!out_.empty(), "lambdahat", "--out DIR is required");
  units_ = (fs::path(out_) / "units" / study).string();
  if (!cluster::is_writer()) return;  // under MPI only rank 0 touches the files
  std::error_code ec;
  fs::create_directories(units_, ec);
  check(!ec, "lambdahat", "cannot create ", units_, ": ", ec.message());
  // the settings of earlier runs in this directory must match
  const nlohmann::json record = {{"program", "lambdahat"}, {"version", kVersion}, {"study", study}, {"settings", settings_}};
  const std::string settings_file = (fs::path(out_) / "settings.json").string();
  if (fs::exists(settings_file)) {
    std::ifstream in(settings_file);
    nlohmann::json previous;
    try {
      in >> previous;
    } catch (const std::exception&) {
      fail("lambdahat", settings_file, " is not valid JSON; remove it or use another --out");
    }
    check(previous.is_object() && previous.value("study", "") == study && previous.contains("settings") &&
              previous["settings"] == settings_,
          "lambdahat", out_, " holds results made by another study or with other settings (", settings_file,
          "); use another --out (or delete it) to start afresh");
  } else {
    write_file_atomically(settings_file, record.dump(2) + "\n");
  }
}

std::string UnitStore::path(const std::string& unit) const { return (fs::path(units_) / (unit + ".json")).string(); }

bool UnitStore::done(const std::string& unit) const { return fs::exists(path(unit)); }

nlohmann::json UnitStore::load(const std::string& unit) const {
  std::ifstream in(path(unit));
  nlohmann::json j;
  try {
    in >> j;
  } catch (const std::exception&) {
    fail("lambdahat", path(unit), " is not valid JSON (a damaged result); delete it to redo that unit");
  }
  // every unit save() wrote names itself
  check(j.is_object() && j.contains("unit") && j["unit"] == unit, "lambdahat", path(unit),
        " is not a finished unit of this study (no matching \"unit\" field); delete it to redo that unit");
  return j;
}

void UnitStore::save(const std::string& unit, nlohmann::json result) {
  result["unit"] = unit;
  const std::string text = result.dump(1) + "\n";
  std::lock_guard<std::mutex> lock(mutex_);
  write_file_atomically(path(unit), text);
}

std::vector<nlohmann::json> UnitStore::all() const {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(units_)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".json" && name != "settings.json") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  std::vector<nlohmann::json> out;
  for (const auto& n : names) out.push_back(load(n));
  return out;
}

void write_csv(const std::string& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows) {
  std::string text;
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i) text += ',';
      const bool quote = cells[i].find_first_of(",\"\r\n") != std::string::npos;
      if (!quote) {
        text += cells[i];
        continue;
      }
      text += '"';
      for (char c : cells[i]) text += c == '"' ? std::string("\"\"") : std::string(1, c);
      text += '"';
    }
    text += "\r\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
  write_file_atomically(path, text);
}

std::string cell(double v) {
  if (!std::isfinite(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.8g", v);
  return buf;
}

std::string cell(std::int64_t v) { return std::to_string(v); }

Shard parse_shard(const std::string& text) {
  const std::size_t slash = text.find('/');
  const auto number = [&](const std::string& part) -> std::int64_t {
    check(!part.empty() && part.size() <= 9 && part.find_first_not_of("0123456789") == std::string::npos, "lambdahat",
          "--shard ", text, " is not k/N (two integers, 0 <= k < N <= 100000)");
    return std::stoll(part);
  };
  check(slash != std::string::npos, "lambdahat", "--shard ", text, " is not k/N (two integers, 0 <= k < N <= 100000)");
  const Shard s{.index = number(text.substr(0, slash)), .count = number(text.substr(slash + 1))};
  check(s.count >= 1 && s.count <= 100000 && s.index < s.count, "lambdahat", "--shard ", text,
        " is not k/N (two integers, 0 <= k < N <= 100000)");
  return s;
}

nlohmann::json shard_result(const Shard& shard, std::int64_t total) {
  // the i in [0, total) with i mod N = k
  const std::int64_t owned = (total - shard.index + shard.count - 1) / shard.count;
  return {{"shard", shard.text()}, {"units", owned}};
}

nlohmann::json provenance(const nlohmann::json& settings) {
  return {{"version", kVersion}, {"program", "lambdahat"}, {"settings", settings}};
}

}  // namespace lambdahat::cli

namespace lambdahat::cli {

namespace {

std::vector<std::int64_t> pending_units(const std::string& label, std::int64_t count,
                                        const std::function<bool(std::int64_t)>& done, const Shard& shard) {
  std::vector<std::int64_t> pending;
  std::int64_t mine = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    if (!shard.owns(i)) continue;
    ++mine;
    if (!done(i)) pending.push_back(i);
  }
  if (mine - static_cast<std::int64_t>(pending.size()) > 0)
    std::fprintf(stderr, "%s: %lld of %lld units already done, resuming\n", label.c_str(),
                 static_cast<long long>(mine - static_cast<std::int64_t>(pending.size())), static_cast<long long>(mine));
  return pending;
}

void run_pending(const std::string& label, const std::vector<std::int64_t>& pending, int threads,
                 const std::function<nlohmann::json(std::int64_t)>& compute,
                 const std::function<void(std::int64_t, const nlohmann::json&)>& save) {
  if (pending.empty()) return;
  Progress progress(label, static_cast<std::int64_t>(pending.size()));
  std::mutex mutex;
  std::int64_t finished = 0;
  std::exception_ptr error;
  // no more threads than pending units or 4 × the cores (flags.hpp)
  const int t = effective_threads(threads > 0 ? threads : num_threads(), static_cast<std::int64_t>(pending.size()));
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(t)
#endif
  for (std::size_t k = 0; k < pending.size(); ++k) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (error) continue;
    }
    try {
      save(pending[k], compute(pending[k]));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex);
      if (!error) error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex);
    progress.update(++finished);
  }
  progress.finish();
  if (error) std::rethrow_exception(error);
}

}  // namespace

void run_units_here(const std::string& label, std::int64_t count, int threads,
                    const std::function<bool(std::int64_t)>& done,
                    const std::function<nlohmann::json(std::int64_t)>& compute,
                    const std::function<void(std::int64_t, const nlohmann::json&)>& save) {
  run_pending(label, pending_units(label, count, done, Shard{}), threads, compute, save);
}

void run_units(const std::string& label, std::int64_t count, int threads, const std::function<bool(std::int64_t)>& done,
               const std::function<nlohmann::json(std::int64_t)>& compute,
               const std::function<void(std::int64_t, const nlohmann::json&)>& save, const Shard& shard) {
  if (!cluster::distributed()) {
    run_pending(label, pending_units(label, count, done, shard), threads, compute, save);
    return;
  }
  // A worker computes one unit at a time with all its threads (the chains inside).
  if (!cluster::is_writer()) {
    cluster::work([&](std::int64_t i) { return compute(i).dump(); });
    return;
  }
  const std::vector<std::int64_t> pending = pending_units(label, count, done, shard);
  Progress progress(label, static_cast<std::int64_t>(pending.size()));
  std::int64_t finished = 0;
  cluster::serve(
      pending,
      [&](std::int64_t i, const std::string& text) {
        nlohmann::json result;
        try {
          result = nlohmann::json::parse(text);
        } catch (const nlohmann::json::exception&) {
          fail("lambdahat", "the result of unit ", i, " came back damaged");
        }
        save(i, result);
      },
      [&] { progress.update(++finished); });
  progress.finish();
}

}  // namespace lambdahat::cli
