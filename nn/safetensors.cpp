#include "nn/safetensors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include "nn/detail/json.hpp"

namespace lambdahat {

static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian machine");

namespace {

using detail::Json;

// The offset of the first byte that breaks UTF-8 (overlong forms, surrogates and
// code points above U+10FFFF included), or npos.
std::size_t invalid_utf8_at(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = 0;
    std::uint32_t code = 0, min = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, code = c & 0x1Fu, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, code = c & 0x0Fu, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, code = c & 0x07u, min = 0x10000;
    } else {
      return i;
    }
    if (i + len > text.size()) return i;
    for (std::size_t k = 1; k < len; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      code = (code << 6) | (next & 0x3Fu);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

void check_utf8(std::string_view text, const char* what, const char* part) {
  const std::size_t at = invalid_utf8_at(text);
  check(at == std::string_view::npos, "safetensors", what, ": ", part, " is not valid UTF-8 (byte ", at,
        "); safetensors headers are UTF-8 JSON");
}

constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;  // the format's own limit

const char* dtype_code(DType t) {
  switch (t) {
    case DType::f32: return "F32";
    case DType::f64: return "F64";
    case DType::i64: return "I64";
  }
  return "?";
}

bool dtype_from_code(const std::string& code, DType& t) {
  if (code == "F32") t = kFloat32;
  else if (code == "F64") t = kFloat64;
  else if (code == "I64") t = kInt64;
  else return false;
  return true;
}

const Json* find(const Json& object, const char* key) {
  for (const auto& [k, v] : object.object)
    if (k == key) return &v;
  return nullptr;
}

// A non-negative integer from the header, or an error naming the tensor and field.
std::uint64_t header_integer(const Json& v, const char* what, const std::string& name, const char* field) {
  check(v.kind == Json::Kind::number && v.is_integer && v.integer >= 0, "safetensors", what, ": tensor ", name,
        ": ", field, " must hold non-negative integers");
  return static_cast<std::uint64_t>(v.integer);
}

struct Entry {
  std::string name;
  DType dtype;
  Dims shape;
  std::uint64_t begin, end;
};

}  // namespace

std::string serialize_safetensors(const StateDict& tensors, const std::map<std::string, std::string>& metadata) {
  for (const auto& [key, value] : metadata) {
    check_utf8(key, "writing", "a metadata key");
    check_utf8(value, "writing", ("the metadata value of " + key).c_str());
  }
  for (const auto& [name, t] : tensors) check_utf8(name, "writing", "a tensor name");
  std::string header = "{";
  bool first = true;
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    for (auto it = metadata.begin(); it != metadata.end(); ++it) {
      if (it != metadata.begin()) header += ",";
      header += detail::json_quote(it->first) + ":" + detail::json_quote(it->second);
    }
    header += "}";
    first = false;
  }
  std::uint64_t offset = 0;
  std::set<std::string> names;
  for (const auto& [name, t] : tensors) {
    check(t.defined(), "save_safetensors", "tensor ", name, " is undefined");
    check(name != "__metadata__" && names.insert(name).second, "save_safetensors", "tensor name ", name,
          " is reserved or repeated");
    const std::uint64_t bytes = static_cast<std::uint64_t>(t.numel()) * itemsize(t.dtype());
    if (!first) header += ',';
    header += detail::json_quote(name);
    header += ":{\"dtype\":\"";
    header += dtype_code(t.dtype());
    header += "\",\"shape\":[";
    for (int d = 0; d < t.dim(); ++d) {
      if (d) header += ',';
      header += std::to_string(t.size(d));
    }
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + bytes) + "]}";
    offset += bytes;
    first = false;
  }
  header += "}";
  // pad the header with spaces so that the data starts 8-byte aligned
  while ((header.size() + 8) % 8 != 0) header += ' ';
  std::string out(8, '\0');
  const std::uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  out += header;
  for (const auto& [name, t] : tensors) {
    const Tensor c = t.contiguous();
    out.append(static_cast<const char*>(c.raw_data()), static_cast<std::size_t>(c.numel()) * itemsize(c.dtype()));
  }
  return out;
}

SafetensorsFile parse_safetensors(const void* data, std::size_t size, const char* what) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  check(size >= 8, "safetensors", what, ": file of ", size, " bytes is too short for the 8-byte header length");
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, bytes, 8);
  check(header_len <= kMaxHeaderBytes, "safetensors", what, ": header length ", header_len, " exceeds the limit of ",
        kMaxHeaderBytes, " bytes");
  check(header_len <= size - 8, "safetensors", what, ": header length ", header_len, " exceeds the ", size - 8,
        " bytes that follow it (truncated file?)");
  const std::string_view header(reinterpret_cast<const char*>(bytes + 8), static_cast<std::size_t>(header_len));
  check_utf8(header, what, "the header");
  const Json root = detail::parse_json(header, what);
  check(root.kind == Json::Kind::object, "safetensors", what, ": the header must be a JSON object");

  const std::uint64_t data_size = size - 8 - header_len;
  const unsigned char* data_start = bytes + 8 + header_len;
  SafetensorsFile file;
  std::vector<Entry> entries;
  std::set<std::string> names;
  for (const auto& [name, v] : root.object) {
    check(names.insert(name).second, "safetensors", what, ": name ", name, " appears twice in the header");
    if (name == "__metadata__") {
      check(v.kind == Json::Kind::object, "safetensors", what, ": __metadata__ must be an object of strings");
      for (const auto& [k, s] : v.object) {
        check(s.kind == Json::Kind::string, "safetensors", what, ": metadata value of ", k, " must be a string");
        file.metadata[k] = s.string;
      }
      continue;
    }
    check(v.kind == Json::Kind::object, "safetensors", what, ": tensor ", name, " must be described by an object");
    const Json* dtype = find(v, "dtype");
    const Json* shape = find(v, "shape");
    const Json* offsets = find(v, "data_offsets");
    check(dtype && dtype->kind == Json::Kind::string, "safetensors", what, ": tensor ", name, " has no dtype string");
    check(shape && shape->kind == Json::Kind::array, "safetensors", what, ": tensor ", name, " has no shape array");
    check(offsets && offsets->kind == Json::Kind::array && offsets->array.size() == 2, "safetensors", what,
          ": tensor ", name, " needs data_offsets [begin, end]");
    Entry e;
    e.name = name;
    check(dtype_from_code(dtype->string, e.dtype), "safetensors", what, ": tensor ", name, " has dtype ",
          dtype->string, ", which lambdahat does not support (F32, F64, I64)");
    check(shape->array.size() <= static_cast<std::size_t>(Dims::kMaxRank), "safetensors", what, ": tensor ", name,
          " has ", shape->array.size(), " dimensions (at most ", Dims::kMaxRank, ")");
    std::uint64_t count = 1;
    for (const auto& s : shape->array) {
      const std::uint64_t d = header_integer(s, what, name, "shape");
      check(d == 0 || count <= data_size / d, "safetensors", what, ": tensor ", name,
            " has a shape larger than the file's data");
      count *= d;
      e.shape.push_back(static_cast<std::int64_t>(d));
    }
    e.begin = header_integer(offsets->array[0], what, name, "data_offsets");
    e.end = header_integer(offsets->array[1], what, name, "data_offsets");
    check(e.begin <= e.end && e.end <= data_size, "safetensors", what, ": tensor ", name, " has data_offsets [",
          e.begin, ", ", e.end, ") outside the ", data_size, " bytes of data");
    check(e.end - e.begin == count * itemsize(e.dtype), "safetensors", what, ": tensor ", name, " of shape ", e.shape,
          " and dtype ", dtype->string, " needs ", count * itemsize(e.dtype), " bytes but its offsets span ",
          e.end - e.begin);
    entries.push_back(std::move(e));
  }
  // the data must be covered exactly once: sorted by offset, each begins where the last ended
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t covered = 0;
  for (const auto& e : entries) {
    check(e.begin >= covered, "safetensors", what, ": tensor ", e.name, " overlaps another tensor's data");
    check(e.begin == covered, "safetensors", what, ": bytes [", covered, ", ", e.begin, ") belong to no tensor");
    covered = e.end;
  }
  check(covered == data_size, "safetensors", what, ": the last ", data_size - covered, " bytes belong to no tensor");
  for (const auto& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    if (e.end > e.begin) std::memcpy(t.raw_data(), data_start + e.begin, static_cast<std::size_t>(e.end - e.begin));
    file.tensors.emplace_back(e.name, std::move(t));
  }
  return file;
}

void write_file_atomically(const std::string& path, const std::string& bytes) {
  check(!path.empty(), "write_file", "empty path");
  const std::filesystem::path target(path);
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::string name = target.filename().string();
  name.append(".XXXXXX");
  std::string temp = (dir / ("." + name)).string();
  const int fd = ::mkstemp(temp.data());
  check(fd >= 0, "write_file", "cannot create a temporary file next to ", path, ": ", std::strerror(errno));
  const auto give_up = [&](const char* what) {
    const int err = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    fail("write_file", what, " ", path, " failed: ", std::strerror(err));
  };
  // mkstemp creates the file 0600; results are ordinary files, readable by others
  if (::fchmod(fd, 0644) != 0) give_up("setting the mode of");
  const char* data = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t wrote = ::write(fd, data, left);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) give_up("writing");
    data += wrote;
    left -= static_cast<std::size_t>(wrote);
  }
  if (::fsync(fd) != 0) give_up("syncing");
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    fail("write_file", "closing ", path, " failed: ", std::strerror(err));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    fail("write_file", "cannot replace ", path, ": ", std::strerror(err));
  }
  // the rename itself reaches the disk with the directory (best effort: some file
  // systems refuse fsync on directories)
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void save_safetensors(const std::string& path, const StateDict& tensors,
                      const std::map<std::string, std::string>& metadata) {
  write_file_atomically(path, serialize_safetensors(tensors, metadata));
}

SafetensorsFile load_safetensors(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  check(fd >= 0, "safetensors", "cannot open ", path, ": ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail("safetensors", path, " is not a regular file (a directory, FIFO or device); give a .safetensors file");
  }
  std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      fail("safetensors", "cannot read ", path, n < 0 ? std::string(": ") + std::strerror(errno) : " (it shrank)");
    }
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return parse_safetensors(bytes.data(), bytes.size(), path.c_str());
}

void save_checkpoint(Module& module, const std::string& path, const std::map<std::string, std::string>& metadata) {
  save_safetensors(path, module.state_dict(), metadata);
}

void load_checkpoint(Module& module, const std::string& path) {
  module.load_state_dict(load_safetensors(path).tensors);
}

}  // namespace lambdahat
