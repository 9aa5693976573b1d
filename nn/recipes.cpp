#include "nn/recipes.hpp"

namespace lambdahat {

GrokkingTraining::GrokkingTraining(ModularAdditionMLP& model, const Dataset& train, const GrokkingRecipe& recipe,
                                   std::uint64_t seed)
    : model_(model),
      optimizer_(model.parameters(), AdamOptions{.lr = recipe.lr, .weight_decay = recipe.weight_decay}),
      loader_(train, LoaderOptions{.batch_size = recipe.batch, .seed = seed}) {}

void GrokkingTraining::step() {
  const Batch b = loader_.next();
  optimizer_.zero_grad();
  cross_entropy(model_(Variable(b.inputs)), b.targets).backward();
  optimizer_.step();
}

TmsTraining::TmsTraining(ToyModel& model, const Dataset& data, const TmsRecipe& recipe, std::uint64_t seed)
    : model_(model),
      optimizer_(model.parameters(), SGDOptions{.lr = recipe.lr, .momentum = recipe.momentum}),
      loader_(data, LoaderOptions{.batch_size = recipe.batch, .seed = seed}) {}

void TmsTraining::step() {
  const Batch b = loader_.next();
  optimizer_.zero_grad();
  mse_loss(model_(Variable(b.inputs)), Variable(b.targets)).backward();
  optimizer_.step();
}

void TmsTraining::epoch() {
  for (std::int64_t b = 0; b < loader_.batches_per_epoch(); ++b) step();
}

void train_full_batch(Module& model, const Dataset& data, const FullBatchRecipe& recipe) {
  Adam optimizer(model.parameters(), AdamOptions{.lr = recipe.lr});
  const auto loss = [&](const Batch& b) {
    const Variable out = model(Variable(b.inputs));
    return recipe.loss == TrainingLoss::cross_entropy ? cross_entropy(out, b.targets)
                                                       : mse_loss(out, Variable(b.targets));
  };
  const bool minibatches = recipe.batch > 0 && recipe.batch < data.size();
  if (!minibatches) {
    const Batch all = data.all();
    for (std::int64_t s = 0; s < recipe.steps; ++s) {
      optimizer.zero_grad();
      loss(all).backward();
      optimizer.step();
    }
    return;
  }
  DataLoader loader(data, LoaderOptions{.batch_size = recipe.batch, .seed = recipe.seed});
  for (std::int64_t s = 0; s < recipe.steps; ++s) {
    optimizer.zero_grad();
    loss(loader.next()).backward();
    optimizer.step();
  }
}

}  // namespace lambdahat
