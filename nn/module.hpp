// Modules: objects that own parameters and compute with them.
//
// A model lists its parameters and submodules in visit(), in a fixed order. That
// one method gives every module, for free: hierarchical names ("left.weight"),
// parameters() without duplicates (a tied weight counts once), zero_grad(), deep
// copies (clone), state_dict() and load_state_dict().
//
//   class Affine : public ModuleBase<Affine> {
//    public:
//     Variable weight, bias;
//     void visit(ModuleVisitor& v) override { v.parameter("weight", weight); v.parameter("bias", bias); }
//     Variable forward(const Variable& x) override { return linear(x, weight, bias); }
//   };
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/ops.hpp"

namespace lambdahat {

class Module;

struct ModuleVisitor {
  virtual ~ModuleVisitor() = default;
  virtual void parameter(const std::string& name, Variable& p) = 0;
  virtual void module(const std::string& name, Module& m) = 0;
};

// Named tensors in a fixed order: what checkpoints hold.
using StateDict = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;

  // Lists parameters and submodules by name, in a fixed order.
  virtual void visit(ModuleVisitor& v) = 0;
  // Computes the module's output; models with other inputs (token indices) read
  // them from the input's tensor.
  virtual Variable forward(const Variable& input) = 0;
  // A deep copy: same structure, copied parameter values, nothing shared with the
  // original (parameters tied inside the module stay tied in the copy).
  std::unique_ptr<Module> clone() const;
  // A copy of the structure that still shares the parameters (clone() builds on it;
  // containers use it to copy their children).
  virtual std::unique_ptr<Module> shallow_copy() const = 0;
  // The class name, for messages ("Linear").
  virtual std::string type_name() const = 0;

  Variable operator()(const Variable& input) { return forward(input); }

  // Data that the model will read again and again (a sampler's full batch) in the
  // memory layout its forward pass reads fastest: the same shapes and values,
  // possibly other strides. Callers arrange such data once instead of the model
  // rearranging it on every pass. The default returns both tensors as they are.
  virtual std::pair<Tensor, Tensor> arrange_data(const Tensor& inputs, const Tensor& targets) const {
    return {inputs, targets};
  }

  // Every parameter once, with its full dotted name, in visit order.
  std::vector<std::pair<std::string, Variable>> named_parameters();
  std::vector<Variable> parameters();
  std::int64_t num_parameters();  // scalar count, tied weights once

  void zero_grad();
  void train(bool training = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Copies of the parameter values by name.
  StateDict state_dict();
  // Copies values into the parameters. Every parameter must be present with the
  // same shape; the dtype is converted. Unknown names are errors unless !strict.
  void load_state_dict(const StateDict& state, bool strict = true);

  // Calls f(name, parameter) for every parameter occurrence, including repeats of
  // tied ones, recursing into submodules.
  void for_each_parameter(const std::function<void(const std::string&, Variable&)>& f);

 private:
  // Replaces every parameter by a fresh copy; shared parameters stay shared.
  void deep_copy_parameters();

  bool training_ = true;
};

// Implements shallow_copy() for a module class by copy construction.
template <class Derived>
class ModuleBase : public Module {
 public:
  std::unique_ptr<Module> shallow_copy() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

// clone() with the static type kept.
template <class M>
std::unique_ptr<M> clone_as(const M& m) {
  return std::unique_ptr<M>(static_cast<M*>(m.clone().release()));
}

// A new parameter: a leaf Variable that requires a gradient.
inline Variable parameter(Tensor value) { return Variable(std::move(value), true); }

}  // namespace lambdahat
