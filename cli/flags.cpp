#include "flags.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "lambdahat.hpp"

namespace lambdahat::cli {
namespace fs = std::filesystem;

namespace {
std::string number_text(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}
}  // namespace

CLI::Validator integer_in(std::int64_t lo, std::int64_t hi) {
  const std::string allowed = "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  return CLI::Validator(
      [lo, hi, allowed](std::string& text) -> std::string {
        std::int64_t v = 0;
        const char* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, v);
        if (ec == std::errc::result_out_of_range) return text + " does not fit; allowed: " + allowed;
        if (ec != std::errc() || ptr != end) return text + " is not an integer; allowed: " + allowed;
        if (v < lo || v > hi) return text + " is out of range; allowed: " + allowed;
        return {};
      },
      "in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", "integer_in");
}

CLI::Validator number_in(double lo, double hi, bool open_below) {
  const std::string range = (open_below ? "(" : "[") + number_text(lo) + ", " + number_text(hi) + "]";
  const std::string allowed = "a finite number in " + range;
  return CLI::Validator(
      [lo, hi, open_below, allowed](std::string& text) -> std::string {
        errno = 0;
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size()) return text + " is not a number; allowed: " + allowed;
        if (!std::isfinite(v) || errno == ERANGE) return text + " is not finite; allowed: " + allowed;
        if (v > hi || v < lo || (open_below && v == lo)) return text + " is out of range; allowed: " + allowed;
        return {};
      },
      "in " + range, "number_in");
}

int effective_threads(std::int64_t requested, std::int64_t pending) {
  const std::int64_t cores = std::max<std::int64_t>(1, std::thread::hardware_concurrency());
  return static_cast<int>(std::max<std::int64_t>(1, std::min({requested, 4 * cores, std::max<std::int64_t>(1, pending)})));
}

void check_writable_file(const std::string& path, const std::string& flag) {
  check(!path.empty(), "lambdahat", flag, " needs a file name");
  const fs::path p(path);
  std::error_code ec;
  check(!fs::is_directory(p, ec), "lambdahat", flag, " ", path, " is a directory; give a file name");
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  check(fs::is_directory(dir, ec), "lambdahat", flag, " ", path, ": the directory ", dir.string(), " does not exist");
  check(::access(dir.c_str(), W_OK | X_OK) == 0, "lambdahat", flag, " ", path, ": the directory ", dir.string(),
        " is not writable");
}

void check_output_file(const std::string& path, const std::string& flag) {
  if (path != "-") check_writable_file(path, flag);
}

void check_writable_dir(const std::string& dir, const std::string& flag) {
  check(!dir.empty(), "lambdahat", flag, " needs a directory");
  std::error_code ec;
  const fs::path p(dir);
  if (fs::exists(p, ec)) {
    check(fs::is_directory(p, ec), "lambdahat", flag, " ", dir, " exists and is not a directory");
  } else {
    // the run would create it first thing anyway
    fs::create_directories(p, ec);
    check(!ec, "lambdahat", flag, " ", dir, " cannot be created: ", ec.message());
  }
  check(::access(p.c_str(), W_OK | X_OK) == 0, "lambdahat", flag, " ", dir, " is not writable");
}

void check_readable_file(const std::string& path, const std::string& flag) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  check(fs::exists(st), "lambdahat", flag, " ", path, " does not exist");
  check(fs::is_regular_file(st), "lambdahat", flag, " ", path, " is not a regular file (a directory, FIFO or device)");
  check(::access(path.c_str(), R_OK) == 0, "lambdahat", flag, " ", path, " is not readable");
}

void check_memory(double bytes, double max_gib, const std::string& what) {
  const double gib = bytes / (1024.0 * 1024.0 * 1024.0);
  if (gib <= max_gib) return;
  char line[64];
  std::snprintf(line, sizeof line, "%.3g GiB", gib);
  fail("lambdahat", what, " needs about ", line, " of memory, above --max-memory ", max_gib,
       " GiB; make it smaller or raise --max-memory");
}

}  // namespace lambdahat::cli
