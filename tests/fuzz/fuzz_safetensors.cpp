// Fuzz target for the safetensors reader: any bytes must either parse or raise
// lambdahat::Error; anything else (a crash, a sanitizer report, another exception)
// is a bug. Built with libFuzzer when clang is available (CI runs it for a bounded
// time from the corpus in tests/data/safetensors_corpus); otherwise
// fuzz_safetensors_replay runs the same function over the corpus files.
#include <cstddef>
#include <cstdint>

#include "nn/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const lambdahat::SafetensorsFile file = lambdahat::parse_safetensors(data, size, "fuzz input");
    // a file that parses must serialise and parse back to the same tensors
    const std::string again = lambdahat::serialize_safetensors(file.tensors, file.metadata);
    (void)lambdahat::parse_safetensors(again.data(), again.size(), "round trip");
  } catch (const lambdahat::Error&) {
  }
  return 0;
}
