// The whole public API of lambdahat in one include.
#pragma once

#include "autograd/all.hpp"
#include "lambdahat/version.hpp"
#include "nn/all.hpp"
#include "slt/all.hpp"
#include "tensor/all.hpp"
