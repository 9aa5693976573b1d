// How the seed study's models are trained, written once. The command, the studies,
// the examples and the benchmarks all train through these, so a recipe changes in
// one place.
//
//   grokking   the modular-addition MLP (embedding 12, hidden 48): Adam, lr 5e-3,
//              L2 weight decay 2e-4, minibatches of 128, 25 000 steps
//   tms        the toy model of superposition, from a noisy 2-gon: SGD, lr 0.01,
//              momentum 0.9, minibatches of 100, 4 500 epochs
//   full batch the regression models (deep linear networks, autoencoders, the toy
//              model from a regular k-gon): full-batch Adam, lr 1e-2, 4 000 steps, MSE;
//              the same Adam on shuffled minibatches for problems too large for
//              thousands of full-batch steps, and with cross-entropy for classifiers
#pragma once

#include <cstdint>

#include "nn/data.hpp"
#include "nn/models/grokking.hpp"
#include "nn/models/superposition.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/sgd.hpp"

namespace lambdahat {

struct GrokkingRecipe {
  std::int64_t embed = 12, hidden = 48;  // the MLP's widths
  double train_fraction = 0.4;           // of the p² pairs
  double lr = 5e-3, weight_decay = 2e-4;
  std::int64_t batch = 128;
  std::int64_t steps = 25000;
};

// The recipe's optimizer and minibatches for one model, stepped by the caller (who
// evaluates or keeps checkpoints between steps). Minibatches come from `seed`.
class GrokkingTraining {
 public:
  GrokkingTraining(ModularAdditionMLP& model, const Dataset& train, const GrokkingRecipe& recipe, std::uint64_t seed);
  // One Adam step on the next minibatch: mean cross-entropy of the logits.
  void step();

 private:
  ModularAdditionMLP& model_;
  Adam optimizer_;
  DataLoader loader_;
};

struct TmsRecipe {
  double lr = 0.01, momentum = 0.9;
  std::int64_t batch = 100;
  std::int64_t epochs = 4500;
};

class TmsTraining {
 public:
  TmsTraining(ToyModel& model, const Dataset& data, const TmsRecipe& recipe, std::uint64_t seed);
  // One SGD step on the next minibatch: mean squared reconstruction error.
  void step();
  // One pass over the data: batches_per_epoch() steps.
  void epoch();
  std::int64_t batches_per_epoch() const { return loader_.batches_per_epoch(); }

 private:
  ToyModel& model_;
  SGD optimizer_;
  DataLoader loader_;
};

enum class TrainingLoss { mse, cross_entropy };

struct FullBatchRecipe {
  std::int64_t steps = 4000;
  double lr = 1e-2;
  TrainingLoss loss = TrainingLoss::mse;
  // 0: every step on the whole data set; otherwise shuffled minibatches of this size
  // (from `seed`), for data sets where thousands of full-batch steps cost too much
  std::int64_t batch = 0;
  std::uint64_t seed = 0;
};

// Adam on the recipe's loss (mean squared error of model(inputs) against the
// targets, or the mean cross-entropy of logits against int64 labels), full batch
// unless the recipe sets a batch size.
void train_full_batch(Module& model, const Dataset& data, const FullBatchRecipe& recipe = {});

}  // namespace lambdahat
