// Scoring a trained model on a whole data set.
#pragma once

#include "nn/data.hpp"
#include "nn/module.hpp"

namespace lambdahat {

struct ClassifierScore {
  double loss;      // mean cross-entropy of the logits against the int64 labels
  double accuracy;  // share of rows whose largest logit is the label
};

// The model's logits on every row of `data` (inputs in one batch, no graph recorded),
// scored against its int64 class labels.
ClassifierScore evaluate_classifier(Module& model, const Dataset& data);

}  // namespace lambdahat
