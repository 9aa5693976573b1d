// The command's flag ranges and early checks. Every numeric flag is added with one of
// these validators, so its range is checked while the command line is parsed, before
// any data is made or model trained, and --help shows it ("INT in [1, 1000000000]").
// A value out of range, an integer that does not fit in 64 bits, nan or inf gives one
// line naming the flag, the value and what is allowed (exit 2).
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

namespace lambdahat::cli {

// Integers in [lo, hi], written in decimal.
CLI::Validator integer_in(std::int64_t lo, std::int64_t hi);
// Finite numbers in [lo, hi], or in (lo, hi] when open_below.
CLI::Validator number_in(double lo, double hi, bool open_below = false);

// --threads takes [1, kMaxThreads]; what runs is capped further by effective_threads.
inline constexpr std::int64_t kMaxThreads = 1024;
// min(requested, 4 × the cores, pending units): more threads than that only wait.
int effective_threads(std::int64_t requested, std::int64_t pending);

// Output paths, checked before the work that leads to them: `path` must be creatable
// as a file (its directory exists and takes a new file; it is not a directory).
void check_writable_file(const std::string& path, const std::string& flag);
// The same for a result file that may also be "-", standard output (write_output).
void check_output_file(const std::string& path, const std::string& flag);
// `dir` is a writable directory; it is created if missing.
void check_writable_dir(const std::string& dir, const std::string& flag);

// An input file: it exists and is a regular file (not a directory, FIFO or device).
void check_readable_file(const std::string& path, const std::string& flag);

// The memory an estimate or study needs, against --max-memory (GiB).
inline constexpr double kDefaultMaxMemoryGiB = 8;
void check_memory(double bytes, double max_gib, const std::string& what);

}  // namespace lambdahat::cli
