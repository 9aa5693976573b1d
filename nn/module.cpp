#include "nn/module.hpp"

#include <set>
#include <unordered_map>

namespace lambdahat {
namespace {

// Walks a module tree with dotted names.
class Walker : public ModuleVisitor {
 public:
  explicit Walker(std::function<void(const std::string&, Variable&)> f, std::function<void(Module&)> on_module = {})
      : f_(std::move(f)), on_module_(std::move(on_module)) {}
  void parameter(const std::string& name, Variable& p) override { f_(prefix_ + name, p); }
  void module(const std::string& name, Module& m) override {
    const std::string saved = prefix_;
    prefix_ += name + ".";
    if (on_module_) on_module_(m);
    m.visit(*this);
    prefix_ = saved;
  }

 private:
  std::function<void(const std::string&, Variable&)> f_;
  std::function<void(Module&)> on_module_;
  std::string prefix_;
};

}  // namespace

void Module::for_each_parameter(const std::function<void(const std::string&, Variable&)>& f) {
  Walker walker(f);
  visit(walker);
}

std::vector<std::pair<std::string, Variable>> Module::named_parameters() {
  std::vector<std::pair<std::string, Variable>> out;
  std::set<const VariableImpl*> seen;
  for_each_parameter([&](const std::string& name, Variable& p) {
    check(p.defined(), "named_parameters", "parameter ", name, " of ", type_name(), " is undefined");
    if (seen.insert(p.impl()).second) out.emplace_back(name, p);
  });
  return out;
}

std::vector<Variable> Module::parameters() {
  std::vector<Variable> out;
  for (auto& [name, p] : named_parameters()) out.push_back(p);
  return out;
}

std::int64_t Module::num_parameters() {
  std::int64_t n = 0;
  for (auto& [name, p] : named_parameters()) n += p.numel();
  return n;
}

void Module::zero_grad() {
  for_each_parameter([](const std::string&, Variable& p) { p.zero_grad(); });
}

void Module::train(bool training) {
  training_ = training;
  Walker walker([](const std::string&, Variable&) {}, [training](Module& m) { m.training_ = training; });
  visit(walker);
}

StateDict Module::state_dict() {
  StateDict out;
  for (auto& [name, p] : named_parameters()) out.emplace_back(name, p.value().clone());
  return out;
}

void Module::load_state_dict(const StateDict& state, bool strict) {
  std::unordered_map<std::string, const Tensor*> by_name;
  for (const auto& [name, t] : state) {
    check(by_name.emplace(name, &t).second, "load_state_dict", "name ", name, " appears twice");
  }
  std::set<std::string> used;
  for (auto& [name, p] : named_parameters()) {
    const auto it = by_name.find(name);
    check(it != by_name.end(), "load_state_dict", type_name(), " expects a tensor named ", name,
          " that the state does not have");
    const Tensor& src = *it->second;
    check(src.shape() == p.shape(), "load_state_dict", "tensor ", name, " has shape ", src.shape(), " but ",
          type_name(), " expects ", p.shape());
    p.value().copy_(src);
    used.insert(name);
  }
  if (strict)
    for (const auto& [name, t] : state)
      check(used.count(name) > 0, "load_state_dict", "the state has a tensor named ", name, " that ", type_name(),
            " does not use");
}

std::unique_ptr<Module> Module::clone() const {
  std::unique_ptr<Module> copy = shallow_copy();
  copy->deep_copy_parameters();
  return copy;
}

void Module::deep_copy_parameters() {
  // old parameter → its copy, so that tied parameters stay tied in the clone
  std::unordered_map<const VariableImpl*, Variable> copies;
  for_each_parameter([&](const std::string&, Variable& p) {
    auto it = copies.find(p.impl());
    if (it == copies.end()) it = copies.emplace(p.impl(), Variable(p.value().clone(), p.requires_grad())).first;
    p = it->second;
  });
}

}  // namespace lambdahat
