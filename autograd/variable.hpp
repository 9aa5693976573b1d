// Define-by-run reverse-mode automatic differentiation.
//
// A Variable wraps a Tensor. When an operation runs on Variables and any of them
// requires a gradient, the result remembers a Node: which operation made it, its
// inputs, and a backward function that turns the gradient of the result into
// gradients of the inputs. backward() walks those nodes from the result back to the
// leaves in reverse topological order and adds up gradients in the leaves' .grad().
//
//   Variable w(normal({3}, gen), /*requires_grad=*/true);
//   Variable loss = sum(square(w * x - y));     // records mul, sub, square, sum
//   loss.backward();                             // w.grad() = 2 x (w x - y)
//
// The graph and the tensors its nodes saved are released after backward() unless
// retain_graph is set. Variables are handles: copies share the tensor, the gradient
// and the node.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "autograd/op_list.hpp"
#include "tensor/storage.hpp"
#include "tensor/tensor.hpp"

namespace lambdahat {

class Variable;
struct Node;

// The gradients of a node's inputs, and its inputs: vectors on the per-thread block
// cache (storage.hpp), since every op makes one of each.
using Grads = std::vector<Tensor, CachedAllocator<Tensor>>;

// Turns the gradient of a node's output into one gradient per input (an undefined
// Tensor for an input that gets none). Gradients may have the broadcast shape of
// the output: the engine sums them back to each input's shape.
//
// A move-only callable, like std::function but with its closure (the tensors an op
// saves for its backward pass) on the block cache: std::function would call the
// system allocator for every closure larger than two pointers. The callable may
// return Grads or any other vector of Tensors.
class BackwardFn {
 public:
  BackwardFn() = default;
  BackwardFn(std::nullptr_t) {}  // NOLINT: null, as for std::function
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, BackwardFn>>>
  BackwardFn(F&& f)  // NOLINT: any callable, as for std::function
      : impl_(new (allocate_block(sizeof(Model<std::decay_t<F>>))) Model<std::decay_t<F>>(std::forward<F>(f))) {}
  BackwardFn(BackwardFn&& other) noexcept : impl_(std::exchange(other.impl_, nullptr)) {}
  BackwardFn& operator=(BackwardFn&& other) noexcept {
    if (this != &other) {
      reset();
      impl_ = std::exchange(other.impl_, nullptr);
    }
    return *this;
  }
  BackwardFn& operator=(std::nullptr_t) {
    reset();
    return *this;
  }
  BackwardFn(const BackwardFn&) = delete;
  BackwardFn& operator=(const BackwardFn&) = delete;
  ~BackwardFn() { reset(); }

  explicit operator bool() const { return impl_ != nullptr; }
  Grads operator()(const Tensor& grad_output) const { return impl_->call(grad_output); }

 private:
  struct Concept {
    virtual ~Concept() = default;
    virtual Grads call(const Tensor& grad_output) = 0;
    virtual std::size_t bytes() const = 0;
  };
  template <class F>
  struct Model final : Concept {
    explicit Model(F fn) : f(std::move(fn)) {}
    Grads call(const Tensor& grad_output) override {
      if constexpr (std::is_same_v<decltype(f(grad_output)), Grads>) {
        return f(grad_output);
      } else {
        auto grads = f(grad_output);
        return Grads(std::make_move_iterator(grads.begin()), std::make_move_iterator(grads.end()));
      }
    }
    std::size_t bytes() const override { return sizeof(Model); }
    F f;
  };
  void reset() {
    if (!impl_) return;
    const std::size_t n = impl_->bytes();
    impl_->~Concept();
    free_block(impl_, n);
    impl_ = nullptr;
  }
  Concept* impl_ = nullptr;
};

struct VariableImpl {
  Tensor value;
  Tensor grad;
  bool requires_grad = false;
  std::shared_ptr<Node> node;  // the operation that produced this value; null for leaves
};

class Variable {
 public:
  Variable() = default;
  // A leaf: a tensor the user owns. With requires_grad, backward() fills its grad().
  explicit Variable(Tensor value, bool requires_grad = false);

  bool defined() const { return impl_ != nullptr; }
  const Tensor& value() const { return impl_->value; }
  Tensor& value() { return impl_->value; }  // for in-place updates by optimizers and samplers
  const Tensor& grad() const { return impl_->grad; }
  Tensor& grad() { return impl_->grad; }
  bool requires_grad() const { return impl_ && impl_->requires_grad; }
  void set_requires_grad(bool required);
  bool is_leaf() const { return !impl_->node; }
  const std::shared_ptr<Node>& node() const { return impl_->node; }

  // Forgets the accumulated gradient.
  void zero_grad() { impl_->grad = Tensor(); }
  // The same tensor, cut off from the graph (a new leaf that needs no gradient).
  Variable detach() const { return Variable(impl_->value); }

  // Reverse-mode sweep from this variable. Without a gradient it must hold one
  // element and the gradient is 1. Adds into the grad() of every leaf that requires
  // one; frees the graph unless retain_graph.
  void backward(bool retain_graph = false) const;
  void backward(const Tensor& grad_output, bool retain_graph = false) const;

  // Shortcuts to the value.
  const Dims& shape() const { return impl_->value.shape(); }
  DType dtype() const { return impl_->value.dtype(); }
  int dim() const { return impl_->value.dim(); }
  std::int64_t size(std::int64_t d) const { return impl_->value.size(d); }
  std::int64_t numel() const { return impl_->value.numel(); }
  double item() const { return impl_->value.item(); }

  bool same(const Variable& other) const { return impl_ == other.impl_; }
  VariableImpl* impl() const { return impl_.get(); }
  long handle_count() const { return impl_.use_count(); }  // Variables sharing this value

 private:
  std::shared_ptr<VariableImpl> impl_;
};

// One recorded operation.
using Inputs = std::vector<Variable, CachedAllocator<Variable>>;

struct Node {
  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();  // releases the graph behind it without recursion

  Op op;
  Inputs inputs;                 // the operands; holding them keeps their part of the graph alive
  BackwardFn backward;           // null once the graph has been freed
  Tensor grad;                   // gradient of this node's output, accumulated during a backward pass
  bool freed = false;
  std::uint64_t visit_mark = 0;  // marks nodes already collected by the current backward pass
};

// Whether operations record nodes on this thread. Evaluation and sampler updates run
// with recording off (NoGradGuard), which skips all graph bookkeeping.
bool grad_enabled();

class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// Whether an operation on these inputs must record a node.
inline bool needs_grad(std::initializer_list<Variable> inputs) {
  if (!grad_enabled()) return false;
  for (const auto& v : inputs)
    if (v.requires_grad()) return true;
  return false;
}

// Attaches a node for `op` to a fresh result (make_result calls this; operations
// with a variable number of inputs, like concat, call it directly).
Variable attach_node(Op op, Tensor value, Inputs inputs, BackwardFn backward);

// Builds the result of an operation: a plain Variable when no input requires a
// gradient (or recording is off), otherwise one with a Node that will call
// `backward`. Every differentiable op funnels through here. The backward closure is
// only turned into a BackwardFn (a copy into a cached block) when a node is
// recorded.
//
// The inputs are taken by reference: a list of Variable copies would count every
// handle up and down once more, and those counts are atomic operations once a
// program has threads.
template <class F>
Variable make_result(Op op, Tensor value, std::initializer_list<std::reference_wrapper<const Variable>> inputs,
                     F&& backward) {
  bool any = false;
  if (grad_enabled())
    for (const Variable& v : inputs) any = any || v.requires_grad();
  if (!any) return Variable(std::move(value));
  Inputs operands;
  operands.reserve(inputs.size());
  for (const Variable& v : inputs) operands.push_back(v);
  return attach_node(op, std::move(value), std::move(operands), BackwardFn(std::forward<F>(backward)));
}

// Runs backward from `root` (see Variable::backward).
void run_backward(const Variable& root, const Tensor& grad_output, bool retain_graph);

// Gradients of the one-element result of f with respect to each of `inputs`,
// computed on fresh leaves, so no .grad() is touched. An input that f does not
// use gets a zero gradient.
std::vector<Tensor> grad(const std::function<Variable(const std::vector<Variable>&)>& f,
                         const std::vector<Tensor>& inputs);

// Sums a broadcast gradient back to `shape` (the inverse of broadcasting).
Tensor sum_to(Tensor grad, const Dims& shape);

}  // namespace lambdahat
