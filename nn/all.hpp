// Everything in nn/.
#pragma once

#include "nn/data.hpp"
#include "nn/evaluate.hpp"
#include "nn/layers.hpp"
#include "nn/models/grokking.hpp"
#include "nn/models/regression.hpp"
#include "nn/models/superposition.hpp"
#include "nn/module.hpp"
#include "nn/network.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/adamw.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/sgd.hpp"
#include "nn/recipes.hpp"
#include "nn/safetensors.hpp"
