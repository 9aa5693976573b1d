// A tiny --name value parser for the example programs (the examples use nothing
// but lambdahat itself).
#pragma once

#include <cstdlib>
#include <iostream>
#include <map>
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
  double number(const std::string& name, double fallback) {
    auto it = take(name);
    if (!it) return fallback;
    char* end = nullptr;
    const double v = std::strtod(it->c_str(), &end);
    if (end == it->c_str() || *end) die("--" + name + " needs a number, got " + *it);
    return v;
  }
  long integer(const std::string& name, long fallback) {
    auto it = take(name);
    if (!it) return fallback;
    char* end = nullptr;
    const long v = std::strtol(it->c_str(), &end, 10);
    if (end == it->c_str() || *end) die("--" + name + " needs an integer, got " + *it);
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
    std::cerr << "error: " << message << "\n\n" << usage_;
    std::exit(2);
  }
  std::string usage_;
  std::map<std::string, std::string> values_, taken_;
};

}  // namespace examples
