// The whole public API of lambdahat in one include.
#pragma once

#include "tensor/all.hpp"
