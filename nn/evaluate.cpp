#include "nn/evaluate.hpp"

#include "autograd/ops.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/reduction.hpp"

namespace lambdahat {

ClassifierScore evaluate_classifier(Module& model, const Dataset& data) {
  NoGradGuard no_grad;
  const Variable logits = model(Variable(data.inputs()));
  const Tensor correct = eq(argmax(logits.value(), 1), data.targets());
  return {cross_entropy(logits, data.targets()).item(), mean(correct.to(kFloat64)).item()};
}

}  // namespace lambdahat
