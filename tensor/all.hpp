// Everything in tensor/, for programs that want the whole tensor library.
#pragma once

#include "tensor/dtype.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/fused.hpp"
#include "tensor/integer_power.hpp"
#include "tensor/error.hpp"
#include "tensor/indexing.hpp"
#include "tensor/matmul.hpp"
#include "tensor/parallel.hpp"
#include "tensor/print.hpp"
#include "tensor/random.hpp"
#include "tensor/reduction.hpp"
#include "tensor/softmax.hpp"
#include "tensor/shape.hpp"
#include "tensor/simd_info.hpp"
#include "tensor/storage.hpp"
#include "tensor/tensor.hpp"
