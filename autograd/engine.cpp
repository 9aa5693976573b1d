// The backward pass: collect the graph in topological order with an explicit stack
// (no recursion, so a chain of 100 000 operations is fine, and a node shared by many
// paths is visited once), then walk it from the result to the leaves.
#include <algorithm>
#include <atomic>

#include "autograd/variable.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/reduction.hpp"

namespace lambdahat {
namespace {

thread_local bool recording = true;

// Each backward pass marks the nodes it collects with a number no other pass used.
// Threads take them from a shared counter in blocks of 2^20: one atomic increment
// of a shared cache line per backward pass made both cores wait on each other.
std::atomic<std::uint64_t> next_mark_block{1};

std::uint64_t fresh_mark() {
  constexpr std::uint64_t kBlock = std::uint64_t{1} << 20;
  thread_local std::uint64_t next = 0, end = 0;
  if (next == end) {
    next = next_mark_block.fetch_add(kBlock);
    end = next + kBlock;
  }
  return next++;
}

// Adds g into `slot`. Gradients are never modified in place after they are stored,
// so the first contribution can be shared as is.
void accumulate(Tensor& slot, Tensor g) {
  slot = slot.defined() ? add(slot, g) : std::move(g);
}

// Leaves keep gradients that they own: optimizers may update them in place, so a
// gradient that is shared with another tensor (add hands the same gradient to both
// operands) or that is a broadcast view is copied.
void accumulate_leaf(VariableImpl& leaf, Tensor g) {
  if (leaf.grad.defined()) {
    leaf.grad = add(leaf.grad, g);
    return;
  }
  const bool owned = g.is_contiguous() && g.storage().use_count() == 1 && g.offset() == 0 &&
                     g.storage()->nbytes() == static_cast<std::size_t>(g.numel()) * itemsize(g.dtype());
  leaf.grad = owned ? std::move(g) : g.clone();
}

// Moves into `pending` the nodes of inputs that only `node` still refers to, and
// drops the inputs.
void unlink_inputs(Node& node, std::vector<std::shared_ptr<Node>>& pending) {
  for (auto& input : node.inputs)
    if (input.defined() && input.handle_count() == 1 && input.node()) pending.push_back(std::move(input.impl()->node));
  node.inputs.clear();
}

// Nodes reachable from `root` through inputs that require gradients, ordered so
// that every node comes before the nodes it consumes (reverse post-order). The
// order holds the nodes, so they outlive the graph being freed during the walk.
std::vector<std::shared_ptr<Node>> topological_order(const std::shared_ptr<Node>& root) {
  const std::uint64_t mark = fresh_mark();
  std::vector<std::shared_ptr<Node>> post_order;
  std::vector<std::pair<std::shared_ptr<Node>, std::size_t>> stack;  // node and the next input to visit
  root->visit_mark = mark;
  stack.emplace_back(root, 0);
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    check(!node->freed, "backward", "the graph through ", op_name(node->op),
          " was freed by an earlier backward(); pass retain_graph=true to the first call to run backward twice");
    if (next < node->inputs.size()) {
      const Variable& input = node->inputs[next++];
      if (!input.requires_grad() || !input.node()) continue;
      const std::shared_ptr<Node>& child = input.node();
      if (child->visit_mark != mark) {
        child->visit_mark = mark;
        stack.emplace_back(child, 0);
      }
    } else {
      post_order.push_back(std::move(node));
      stack.pop_back();
    }
  }
  std::reverse(post_order.begin(), post_order.end());
  return post_order;
}

}  // namespace

Node::~Node() {
  // Destroying a chain of nodes recursively (node → input → its node → ...) would
  // overflow the stack on long graphs; take over the last references instead.
  std::vector<std::shared_ptr<Node>> pending;
  unlink_inputs(*this, pending);
  while (!pending.empty()) {
    std::shared_ptr<Node> node = std::move(pending.back());
    pending.pop_back();
    if (node.use_count() == 1) unlink_inputs(*node, pending);
  }
}

Variable::Variable(Tensor value, bool requires_grad) : impl_(make_cached_shared<VariableImpl>()) {
  check(value.defined(), "Variable", "undefined tensor");
  check(!requires_grad || is_floating(value.dtype()), "Variable", "only floating-point tensors can require gradients, got ",
        value.dtype());
  impl_->value = std::move(value);
  impl_->requires_grad = requires_grad;
}

void Variable::set_requires_grad(bool required) {
  check(is_leaf(), "set_requires_grad", "only leaves (variables not produced by an operation) can change this");
  check(!required || is_floating(impl_->value.dtype()), "set_requires_grad",
        "only floating-point tensors can require gradients, got ", impl_->value.dtype());
  impl_->requires_grad = required;
}

void Variable::backward(bool retain_graph) const { run_backward(*this, Tensor(), retain_graph); }
void Variable::backward(const Tensor& grad_output, bool retain_graph) const {
  run_backward(*this, grad_output, retain_graph);
}

bool grad_enabled() { return recording; }

NoGradGuard::NoGradGuard() : previous_(recording) { recording = false; }
NoGradGuard::~NoGradGuard() { recording = previous_; }

Variable attach_node(Op op, Tensor value, Inputs inputs, BackwardFn backward) {
  Variable out(std::move(value));
  auto node = make_cached_shared<Node>();
  node->op = op;
  node->inputs = std::move(inputs);
  node->backward = std::move(backward);
  out.impl()->node = std::move(node);
  out.impl()->requires_grad = true;
  return out;
}

Tensor sum_to(Tensor grad, const Dims& shape) {
  if (grad.shape() == shape) return grad;
  const int lead = grad.dim() - shape.size();
  check(lead >= 0, "sum_to", "cannot reduce a gradient of shape ", grad.shape(), " to ", shape);
  Dims dims;
  for (int d = 0; d < grad.dim(); ++d)
    if (d < lead || (shape[d - lead] == 1 && grad.size(d) != 1)) dims.push_back(d);
  const Tensor reduced = dims.empty() ? grad : sum(grad, dims, /*keepdim=*/true);
  return reduced.reshape(shape);
}

void run_backward(const Variable& root, const Tensor& grad_output, bool retain_graph) {
  check(root.defined(), "backward", "undefined variable");
  check(root.requires_grad(), "backward",
        "the result does not require a gradient (no input of the operations that produced it requires one)");
  Tensor seed = grad_output;
  if (!seed.defined()) {
    check(root.numel() == 1, "backward", "backward() without a gradient needs a one-element result, got shape ",
          root.shape(), "; pass the gradient of the output");
    seed = ones(root.shape(), root.dtype());
  } else {
    check(seed.shape() == root.shape() && seed.dtype() == root.dtype(), "backward", "gradient of shape ",
          seed.shape(), " and dtype ", seed.dtype(), " does not match the result's ", root.shape(), " ",
          root.dtype());
  }
  if (root.is_leaf()) {
    accumulate_leaf(*root.impl(), seed);
    return;
  }

  const std::vector<std::shared_ptr<Node>> order = topological_order(root.node());
  root.node()->grad = seed;
  for (const auto& node : order) {
    if (!node->grad.defined()) continue;  // no gradient reached this node
    Grads grads = node->backward(node->grad);
    node->grad = Tensor();
    for (std::size_t i = 0; i < node->inputs.size(); ++i) {
      const Variable& input = node->inputs[i];
      if (!input.requires_grad() || i >= grads.size() || !grads[i].defined()) continue;
      Tensor g = sum_to(std::move(grads[i]), input.shape());
      if (input.is_leaf()) accumulate_leaf(*input.impl(), std::move(g));
      else accumulate(input.node()->grad, std::move(g));
    }
    if (!retain_graph) {
      node->backward = nullptr;  // drops the saved tensors
      node->inputs.clear();      // and the references to the rest of the graph
      node->freed = true;
    }
  }
}

std::vector<Tensor> grad(const std::function<Variable(const std::vector<Variable>&)>& f,
                         const std::vector<Tensor>& inputs) {
  std::vector<Variable> leaves;
  for (const auto& t : inputs) leaves.emplace_back(t, true);
  const Variable out = f(leaves);
  check(out.defined() && out.numel() == 1, "grad", "the function must return a one-element result, got shape ",
        out.defined() ? to_string(out.shape()) : "undefined");
  std::vector<Tensor> grads;
  if (out.requires_grad()) run_backward(out, Tensor(), false);
  for (auto& leaf : leaves) grads.push_back(leaf.grad().defined() ? leaf.grad() : zeros_like(leaf.value()));
  return grads;
}

}  // namespace lambdahat
