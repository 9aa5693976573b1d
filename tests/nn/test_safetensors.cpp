// Checkpoints: round trips, a PyTorch-written file, and malformed input.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "support/reference.hpp"

namespace lambdahat {
namespace {

namespace fs = std::filesystem;
const fs::path kData = LAMBDAHAT_TEST_DATA_DIR;

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(Safetensors, RoundTripKeepsNamesShapesDtypesValuesAndMetadata) {
  Generator gen(1);
  StateDict state = {{"w", normal({3, 4}, gen)},
                     {"weird \"name\" \\ é", normal({2}, gen, 0, 1, kFloat64)},
                     {"idx", arange(5)},
                     {"scalar", scalar(2.5)},
                     {"empty", zeros({0, 3})},
                     {"strided", normal({4, 3}, gen).t()}};
  const std::string bytes = serialize_safetensors(state, {{"version", "1"}, {"note", "line\nbreak"}});
  const SafetensorsFile back = parse_safetensors(bytes.data(), bytes.size());
  ASSERT_EQ(back.tensors.size(), state.size());
  for (std::size_t i = 0; i < state.size(); ++i) {
    EXPECT_EQ(back.tensors[i].first, state[i].first);
    EXPECT_TRUE(testing::identical(back.tensors[i].second, state[i].second)) << state[i].first;
  }
  EXPECT_EQ(back.metadata.at("note"), "line\nbreak");
  // data starts 8-byte aligned, as the format recommends
  std::uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ((n + 8) % 8, 0u);
}

TEST(Safetensors, LoadsAPyTorchCheckpointAndComputesTheSameNumbers) {
  const SafetensorsFile file = load_safetensors((kData / "torch_grok.safetensors").string());
  StateDict params;
  std::map<std::string, Tensor> extra;
  for (const auto& [name, t] : file.tensors) {
    if (name.rfind("input.", 0) == 0 || name.rfind("expected.", 0) == 0) extra[name] = t;
    else params.emplace_back(name, t);
  }
  Generator gen(0);
  ModularAdditionMLP model(53, 12, 48, gen);
  model.load_state_dict(params);
  const Tensor tokens = extra.at("input.tokens");
  const Variable logits = model(Variable(tokens));
  EXPECT_TRUE(allclose(logits.value(), extra.at("expected.logits"), 1e-5, 1e-5));
  const Tensor labels = sub(add(tokens.select(1, 0), tokens.select(1, 1)),
                            mul(div(add(tokens.select(1, 0), tokens.select(1, 1)).to(kFloat64), scalar(53.0, kFloat64))
                                    .to(kInt64), 53));
  const Variable loss = cross_entropy(logits, labels);
  EXPECT_NEAR(loss.item(), extra.at("expected.loss").item(), 1e-5);
  loss.backward();
  for (auto& [name, p] : model.named_parameters())
    EXPECT_TRUE(allclose(p.grad(), extra.at("expected.grad." + name), 1e-4, 1e-6)) << name;
  EXPECT_NE(file.metadata.at("source").find("PyTorch"), std::string::npos);
}

TEST(Safetensors, CorpusOfMalformedFilesGivesClearErrors) {
  int valid = 0, bad = 0;
  for (const auto& entry : fs::directory_iterator(kData / "safetensors_corpus")) {
    const std::string name = entry.path().filename().string();
    const std::string bytes = read_bytes(entry.path());
    if (name.rfind("valid_", 0) == 0) {
      EXPECT_NO_THROW(parse_safetensors(bytes.data(), bytes.size(), name.c_str())) << name;
      ++valid;
    } else {
      const std::string message = testing::error_of([&] { parse_safetensors(bytes.data(), bytes.size(), name.c_str()); });
      EXPECT_NE(message.find("safetensors: " + name), std::string::npos) << name << ": " << message;
      ++bad;
    }
  }
  EXPECT_GE(valid, 4);
  EXPECT_GE(bad, 20);
}

TEST(Safetensors, EveryTruncationAndRandomCorruptionIsHandled) {
  Generator gen(2);
  const std::string good = serialize_safetensors({{"a", normal({3, 2}, gen)}, {"b", arange(4)}}, {{"k", "v"}});
  for (std::size_t cut = 0; cut < good.size(); ++cut)
    EXPECT_NE(testing::error_of([&] { parse_safetensors(good.data(), cut); }), "") << "truncated at " << cut;
  // flipped bytes: either a valid file or a clear error, never a crash
  int errors = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bytes = good;
    const int flips = 1 + static_cast<int>(gen.randint(0, 4));
    for (int f = 0; f < flips; ++f)
      bytes[static_cast<std::size_t>(gen.randint(0, static_cast<std::int64_t>(bytes.size())))] =
          static_cast<char>(gen.randint(0, 256));
    try {
      parse_safetensors(bytes.data(), bytes.size());
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 0);
}

TEST(Safetensors, CheckpointFilesAreWrittenAtomicallyAndMustFitTheModel) {
  Generator gen(3);
  ModularAdditionMLP a(11, 4, 6, gen), b(11, 4, 6, gen), wrong(11, 5, 6, gen);
  const fs::path path = fs::temp_directory_path() / "lambdahat_test_checkpoint.safetensors";
  save_checkpoint(a, path.string(), {{"step", "100"}});
  for (const auto& e : fs::directory_iterator(path.parent_path()))
    EXPECT_EQ(e.path().filename().string().rfind(".lambdahat_test_checkpoint.safetensors.", 0), std::string::npos)
        << "a temporary file was left: " << e.path();
  load_checkpoint(b, path.string());
  EXPECT_TRUE(testing::identical(a.out.weight.value(), b.out.weight.value()));
  EXPECT_EQ(testing::error_of([&] { load_checkpoint(wrong, path.string()); }),
            "load_state_dict: tensor embedding.weight has shape (11,4) but ModularAdditionMLP expects (11,5)");
  EXPECT_NE(testing::error_of([] { load_safetensors("/nonexistent/file.safetensors"); }).find("cannot open"),
            std::string::npos);
  fs::remove(path);
}

TEST(Safetensors, Float64FilesLoadIntoFloat32ModelsRoundedAndTextMustBeUtf8) {
  // an F64 checkpoint: a float64 model takes it exactly, a float32 model rounded
  Generator gen(4);
  DeepLinearNetwork wide({3, 2}, gen, kFloat64), narrow({3, 2}, gen, kFloat32);
  wide.parameters()[0].value().copy_(tensor({0.1, 1.0 / 3, -2.5e-9, 1e30, -7, 0.2}, kFloat64).reshape({2, 3}));
  const std::string bytes = serialize_safetensors(wide.state_dict());
  const SafetensorsFile f = parse_safetensors(bytes.data(), bytes.size(), "f64");
  EXPECT_EQ(f.tensors[0].second.dtype(), kFloat64);
  narrow.load_state_dict(f.tensors);
  DeepLinearNetwork back({3, 2}, gen, kFloat64);
  back.load_state_dict(f.tensors);
  EXPECT_TRUE(testing::identical(back.parameters()[0].value(), wide.parameters()[0].value()));
  const std::vector<double> src = wide.parameters()[0].value().to_vector<double>();
  const std::vector<float> got = narrow.parameters()[0].value().to_vector<float>();
  for (std::size_t i = 0; i < src.size(); ++i) EXPECT_EQ(got[i], static_cast<float>(src[i])) << i;

  // UTF-8 metadata round-trips byte for byte
  const std::map<std::string, std::string> meta = {{"note", "λ̂ ≈ 7, ε = 10⁻³"}};
  const std::string text = serialize_safetensors(wide.state_dict(), meta);
  EXPECT_EQ(parse_safetensors(text.data(), text.size(), "utf8").metadata, meta);
  // bytes that are not UTF-8 (a lone continuation byte, an overlong '/', a surrogate)
  // are refused on reading with their offset, and on writing
  for (const std::string& bad : {std::string("\x80"), std::string("\xC0\xAF"), std::string("\xED\xA0\x80")}) {
    std::string broken = text;
    const std::size_t at = broken.find("λ̂");
    broken.replace(at, bad.size(), bad);
    const std::string error = testing::error_of([&] { parse_safetensors(broken.data(), broken.size(), "broken"); });
    EXPECT_NE(error.find("the header is not valid UTF-8 (byte " + std::to_string(at - 8) + ")"), std::string::npos)
        << error;
    EXPECT_NE(testing::error_of([&] { serialize_safetensors(wide.state_dict(), {{"note", bad}}); })
                  .find("not valid UTF-8"),
              std::string::npos);
  }
}

// The files next to `dir/name`: what a write left behind.
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(SafeWrites, ASymlinkIsReplacedNotWrittenThroughAndFailuresLeaveNothing) {
  const fs::path dir = fs::temp_directory_path() / "lambdahat_safe_writes";
  fs::remove_all(dir);
  fs::create_directories(dir);
  // a symlink planted at the result's name: the write replaces the link, the file it
  // points to keeps its content (the old fixed "<path>.tmp" name no longer exists)
  std::ofstream(dir / "victim") << "keep";
  fs::create_symlink(dir / "victim", dir / "res.json");
  fs::create_symlink(dir / "victim", dir / "res.json.tmp");
  write_file_atomically((dir / "res.json").string(), "new");
  EXPECT_FALSE(fs::is_symlink(dir / "res.json"));
  std::ifstream res(dir / "res.json"), victim(dir / "victim");
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(res)), {}), "new");
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(victim)), {}), "keep");
  // an ordinary file, readable by others
  EXPECT_EQ(fs::status(dir / "res.json").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  // a failure (the target is a non-empty directory): an error naming it, no temporary file left
  fs::create_directories(dir / "occupied" / "inside");
  const std::vector<std::string> before = names_in(dir);
  const std::string error = testing::error_of([&] { write_file_atomically((dir / "occupied").string(), "x"); });
  EXPECT_NE(error.find((dir / "occupied").string()), std::string::npos) << error;
  EXPECT_EQ(names_in(dir), before);
  // a directory that does not exist: an error, nothing created
  EXPECT_NE(testing::error_of([&] { write_file_atomically((dir / "no" / "x.json").string(), "x"); })
                .find("cannot create a temporary file"),
            std::string::npos);
  fs::remove_all(dir);
}

TEST(SafeWrites, OnlyRegularFilesAreLoaded) {
  const fs::path dir = fs::temp_directory_path() / "lambdahat_special_files";
  fs::remove_all(dir);
  fs::create_directories(dir);
  ASSERT_EQ(mkfifo((dir / "fifo").c_str(), 0600), 0);
  // a FIFO would block forever, a directory read as a file gave bad_alloc
  for (const fs::path& p : {dir / "fifo", dir, fs::path("/dev/null")})
    EXPECT_NE(testing::error_of([&] { load_safetensors(p.string()); }).find("is not a regular file"), std::string::npos)
        << p;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lambdahat
