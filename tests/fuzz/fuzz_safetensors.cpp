// Fuzz target for the whole checkpoint load path: bytes → a file on disk →
// load_safetensors (open, stat, read, parse) → load_state_dict into models whose
// parameter names the seed corpus uses (a deep linear network 3-2-3, the toy model
// of superposition 4×2, both float32, and a float64 one). Any input must either
// load or raise lambdahat::Error; anything else (a crash, a sanitizer report,
// another exception) is a bug. A file that parses must also serialise and parse
// back. Built with libFuzzer when clang is available (CI runs it for a bounded time
// from the corpus in tests/data/safetensors_corpus); otherwise
// fuzz_safetensors_replay runs the same function over the corpus files.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "lambdahat.hpp"

namespace {

// One scratch file per process, removed at exit.
struct ScratchFile {
  std::string path;
  ScratchFile() {
    char name[] = "/tmp/lambdahat_fuzz_XXXXXX";
    const int fd = ::mkstemp(name);
    if (fd >= 0) ::close(fd);
    path = name;
  }
  ~ScratchFile() { std::remove(path.c_str()); }
};

struct Models {
  lambdahat::Generator gen{1};
  lambdahat::DeepLinearNetwork dln{{3, 2, 3}, gen};
  lambdahat::ToyModel tms{4, 2, gen};
  lambdahat::DeepLinearNetwork dln64{{3, 2, 3}, gen, lambdahat::kFloat64};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ScratchFile scratch;
  static Models models;
  try {
    const lambdahat::SafetensorsFile file = lambdahat::parse_safetensors(data, size, "fuzz input");
    const std::string again = lambdahat::serialize_safetensors(file.tensors, file.metadata);
    (void)lambdahat::parse_safetensors(again.data(), again.size(), "round trip");
  } catch (const lambdahat::Error&) {
  }
  // the same bytes through the file and into the models
  if (std::FILE* f = std::fopen(scratch.path.c_str(), "wb")) {
    const bool written = std::fwrite(data, 1, size, f) == size;
    std::fclose(f);
    if (!written) return 0;
  }
  for (lambdahat::Module* m : {static_cast<lambdahat::Module*>(&models.dln), static_cast<lambdahat::Module*>(&models.tms),
                               static_cast<lambdahat::Module*>(&models.dln64)}) {
    try {
      lambdahat::load_checkpoint(*m, scratch.path);
    } catch (const lambdahat::Error&) {
    }
  }
  return 0;
}
