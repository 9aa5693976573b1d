// Everything in slt/.
#pragma once

#include "slt/calibration.hpp"
#include "slt/sweep.hpp"
#include "slt/diagnostics.hpp"
#include "slt/free_energy.hpp"
#include "slt/llc.hpp"
#include "slt/rate_law.hpp"
#include "slt/sampler.hpp"
#include "slt/theory.hpp"
