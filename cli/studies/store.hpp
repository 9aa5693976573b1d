// Results of a study are written unit by unit (one seed, one configuration), each
// as soon as it is finished and atomically, under DIR/units/<study>/. Re-running the
// same command with the same --out skips the finished units, so an interrupted run
// loses at most the units in progress. DIR/settings.json records the study and the
// settings that made the results (with the program's version); resuming with other
// settings is refused.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lambdahat::cli {

class UnitStore {
 public:
  UnitStore(std::string out_dir, std::string study, nlohmann::json settings);
  bool done(const std::string& unit) const;
  nlohmann::json load(const std::string& unit) const;
  void save(const std::string& unit, nlohmann::json result);  // thread-safe
  std::vector<nlohmann::json> all() const;                     // finished units, sorted by name
  const std::string& dir() const { return out_; }
  const nlohmann::json& settings() const { return settings_; }

 private:
  std::string path(const std::string& unit) const;
  std::string out_, units_;
  nlohmann::json settings_;
  mutable std::mutex mutex_;
};

// Writes a CSV file atomically, plain RFC 4180: the header line first, then rows of
// already formatted cells, quoted where they hold a comma, quote or line break, lines
// ended by CRLF. What made the file is in settings.json beside it.
void write_csv(const std::string& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows);
std::string cell(double v);  // "" for NaN
std::string cell(std::int64_t v);

// "0.1.0" plus the settings, for every result file.
nlohmann::json provenance(const nlohmann::json& settings);

}  // namespace lambdahat::cli

namespace lambdahat::cli {

// --shard k/N, for job arrays: this process runs the units i with i mod N = k of a
// study and stops before its tables; `lambdahat merge` gathers the shards' units and
// finishes the study, with the same result as one process (cli/studies/shards.hpp).
struct Shard {
  std::int64_t index = 0, count = 1;
  bool active() const { return count > 1; }
  bool owns(std::int64_t unit) const { return unit % count == index; }
  std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }
};
// "k/N" with N >= 1 and 0 <= k < N; throws lambdahat::Error naming --shard.
Shard parse_shard(const std::string& text);
// What a shard's study of `total` units returns in place of its summary:
// {"shard": "k/N", "units": the number of those units this shard owns}.
nlohmann::json shard_result(const Shard& shard, std::int64_t total);

// Runs save(i, compute(i)) for every i in [0, count) that `shard` owns and is not
// done(i), with a progress line; errors are rethrown after the running units finish.
// In one process the units run one per thread. Under MPI (cli/cluster.hpp) rank 0
// hands them out to the other ranks and saves what they send back: call it on every
// rank, and on ranks other than 0 leave the study after it (they save nothing).
void run_units(const std::string& label, std::int64_t count, int threads, const std::function<bool(std::int64_t)>& done,
               const std::function<nlohmann::json(std::int64_t)>& compute,
               const std::function<void(std::int64_t, const nlohmann::json&)>& save, const Shard& shard = {});
// The same, always in this process alone (a unit that depends on all the others,
// computed by rank 0 after them).
void run_units_here(const std::string& label, std::int64_t count, int threads,
                    const std::function<bool(std::int64_t)>& done,
                    const std::function<nlohmann::json(std::int64_t)>& compute,
                    const std::function<void(std::int64_t, const nlohmann::json&)>& save);

}  // namespace lambdahat::cli
