// A tiny --name value parser for the example programs (the examples use nothing
// but lambdahat itself).
#pragma once

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

namespace examples {

class Flags {
 public:
  Flags(int argc, char** argv, std::string usage) : usage_(std::move(usage)) {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "--help" || a == "-h") {
        std::cout << usage_;
        std::exit(0);
      }
      if (a.rfind("--", 0) != 0 || i + 1 >= argc) die("expected --name value, got " + a);
      values_[a.substr(2)] = argv[++i];
    }
  }
  // Every numeric flag has a range: a value outside it, an integer that does not fit,
  // nan or inf is an error naming the flag, the value and the range (exit 2).
  double number(const std::string& name, double fallback, double lo, double hi) {
    auto it = take(name);
    if (!it) return fallback;
    std::ostringstream range;
    range << "; allowed: a finite number in [" << lo << ", " << hi << "]";
    const std::string allowed = range.str();
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(it->c_str(), &end);
    if (it->empty() || *end) die("--" + name + ": " + *it + " is not a number" + allowed);
    if (!std::isfinite(v) || errno == ERANGE || v < lo || v > hi) die("--" + name + ": " + *it + " is out of range" + allowed);
    return v;
  }
  long integer(const std::string& name, long fallback, long lo, long hi) {
    auto it = take(name);
    if (!it) return fallback;
    const std::string allowed = "; allowed: an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    long v = 0;
    const char* end = it->data() + it->size();
    const auto [ptr, ec] = std::from_chars(it->data(), end, v);
    if (ec == std::errc::result_out_of_range) die("--" + name + ": " + *it + " does not fit" + allowed);
    if (ec != std::errc() || ptr != end) die("--" + name + ": " + *it + " is not an integer" + allowed);
    if (v < lo || v > hi) die("--" + name + ": " + *it + " is out of range" + allowed);
    return v;
  }
  std::string text(const std::string& name, const std::string& fallback) {
    auto it = take(name);
    return it ? *it : fallback;
  }
  // Call after reading every flag: unknown ones are errors.
  void finish() {
    if (!values_.empty()) die("unknown option --" + values_.begin()->first);
  }

 private:
  const std::string* take(const std::string& name) {
    auto it = values_.find(name);
    if (it == values_.end()) return nullptr;
    taken_[name] = it->second;
    values_.erase(it);
    return &taken_[name];
  }
  [[noreturn]] void die(const std::string& message) {
    std::cerr << "error: " << message << " (see --help)\n";
    std::exit(2);
  }
  std::string usage_;
  std::map<std::string, std::string> values_, taken_;
};

}  // namespace examples
