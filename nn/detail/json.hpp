// A small, strict JSON reader for safetensors headers (the library has no JSON
// dependency). Depth and size are bounded; malformed text throws lambdahat::Error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lambdahat::detail {

struct JsonMember;

struct Json {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
  double number = 0;
  bool is_integer = false;   // the number was written as an integer that fits int64
  std::int64_t integer = 0;
  std::string string;
  std::vector<Json> array;
  std::vector<JsonMember> object;  // in file order
};

struct JsonMember {
  std::string key;
  Json value;
};

// Parses one JSON value filling all of `text` (surrounding whitespace allowed).
// `what` names the document in error messages.
Json parse_json(std::string_view text, const char* what);

// `s` as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

}  // namespace lambdahat::detail
