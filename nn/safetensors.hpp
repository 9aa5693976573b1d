// Checkpoints in the safetensors format, readable and writable by PyTorch:
//
//   8 bytes    N, the header length (unsigned, little-endian)
//   N bytes    JSON: {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...,
//                     "__metadata__": {"key": "value", ...}}   (optional)
//   the rest   raw little-endian tensor data, each tensor at its [begin, end) offsets
//
// The reader trusts nothing: header length, JSON, dtypes, shapes, offsets (in
// bounds, the right size, no overlaps or holes) are all checked, and a malformed,
// truncated or hostile file becomes a lambdahat::Error, never a crash or an
// allocation larger than the file. Supported dtypes: F32, F64, I64.
//
// Text: the header is UTF-8 JSON, as the format requires. A header with bytes that
// are not valid UTF-8 (in names or metadata) is refused with the byte offset; on
// writing, names and metadata that are not valid UTF-8 are refused the same way.
// Dtypes: a tensor keeps its file dtype when read; loading it into a module
// (load_state_dict) converts it to the parameter's dtype, so an F64 checkpoint
// loads into a float32 model rounded to the nearest float32, and back exactly.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nn/module.hpp"

namespace lambdahat {

struct SafetensorsFile {
  StateDict tensors;  // in order of data offset
  std::map<std::string, std::string> metadata;
};

// Bytes of a safetensors file holding `tensors` (in the given order) and `metadata`.
std::string serialize_safetensors(const StateDict& tensors, const std::map<std::string, std::string>& metadata = {});
// Parses bytes of a safetensors file; `what` names it in error messages.
SafetensorsFile parse_safetensors(const void* data, std::size_t size, const char* what = "buffer");

// Files. Writing goes through a temporary file renamed into place, so a crash never
// leaves a half-written checkpoint under the final name.
void save_safetensors(const std::string& path, const StateDict& tensors,
                      const std::map<std::string, std::string>& metadata = {});
// Opens regular files only: a directory, FIFO or device is refused with an error
// naming it (a FIFO would otherwise block forever).
SafetensorsFile load_safetensors(const std::string& path);

// A module's parameters to and from a file; loading checks every name and shape.
void save_checkpoint(Module& module, const std::string& path, const std::map<std::string, std::string>& metadata = {});
void load_checkpoint(Module& module, const std::string& path);

// Writes bytes to `path` so that readers see the old file or the whole new one, never
// a part: a fresh temporary file in the same directory (mkstemp: a unique name,
// created exclusively, so no planted symlink is followed), the bytes, fsync, then
// rename over `path` (which replaces a symlink at `path` rather than writing through
// it) and fsync of the directory. On any failure the temporary file is removed and an
// Error names the path.
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace lambdahat
