// The declare-once config core: strict parsing, defaults, checks, schema, extends, --set.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "cimsim/config/describe.hpp"
#include "cimsim/config/overrides.hpp"
#include "support/harness.hpp"

namespace {

enum class Policy { open, closed };

struct Inner {
  uint64_t channels = 0;
  double clock_ghz = 1.0;
};

struct Outer {
  std::string name;
  Inner inner;
  Policy policy = Policy::open;
  std::optional<uint32_t> limit;
  std::vector<uint64_t> sizes;
  bool flag = false;
};

}  // namespace

namespace cimsim::config {
template <>
struct EnumNames<Policy> {
  static const std::vector<std::pair<Policy, const char*>>& names() {
    static const std::vector<std::pair<Policy, const char*>> n = {{Policy::open, "open"},
                                                                  {Policy::closed, "closed"}};
    return n;
  }
};
template <>
struct Describe<Inner> {
  static constexpr const char* doc = "inner settings";
  static void fields(Fields<Inner>& f) {
    f.required("channels", &Inner::channels, "channels", at_least(1));
    f.optional("clock_ghz", &Inner::clock_ghz, "clock", positive());
  }
};
template <>
struct Describe<Outer> {
  static constexpr const char* doc = "outer settings";
  static void fields(Fields<Outer>& f) {
    f.required("name", &Outer::name, "name");
    f.required("inner", &Outer::inner, "inner");
    f.optional("policy", &Outer::policy, "policy");
    f.optional("limit", &Outer::limit, "limit", in_range(1, 64));
    f.optional("sizes", &Outer::sizes, "sizes", at_least(1));
    f.optional("flag", &Outer::flag, "flag");
    f.check([](const Outer& o, const Check& c) {
      if (o.limit && *o.limit > o.inner.channels * 8) {
        c.fail("limit", "expected <= 8 x inner.channels = " + std::to_string(o.inner.channels * 8) +
                            ", got " + std::to_string(*o.limit));
      }
    });
  }
};
}  // namespace cimsim::config

namespace cimsim::config {
namespace {

ConfigDoc doc_from(const std::string& text) {
  ConfigDoc doc;
  doc.root_name = "machine";
  doc.file = "x.json";
  doc.root = parse_json_strict(text, "x.json");
  doc.provenance.set_tree("machine", doc.root, "x.json");
  return doc;
}

std::string parse_error(const std::string& text) {
  try {
    parse<Outer>(doc_from(text));
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Describe, ParsesValuesAndFillsDefaults) {
  Outer o = parse<Outer>(doc_from(R"({"name":"a","inner":{"channels":8},"sizes":[1,2,3]})"));
  EXPECT_EQ(o.name, "a");
  EXPECT_EQ(o.inner.channels, 8u);
  EXPECT_DOUBLE_EQ(o.inner.clock_ghz, 1.0);
  EXPECT_EQ(o.policy, Policy::open);
  EXPECT_FALSE(o.limit.has_value());
  EXPECT_EQ(o.sizes, (std::vector<uint64_t>{1, 2, 3}));
}

TEST(Describe, AcceptsIntegralFloatsForCounts) {
  Outer o = parse<Outer>(doc_from(R"({"name":"a","inner":{"channels":1e3}})"));
  EXPECT_EQ(o.inner.channels, 1000u);
}

TEST(Describe, NegativeCountNamesFilePathValueAndExpectation) {
  EXPECT_EQ(parse_error(R"({"name":"a","inner":{"channels":-3}})"),
            "x.json: machine.inner.channels: expected an integer >= 1, got -3");
}

TEST(Describe, UnknownKeyIsAnError) {
  EXPECT_EQ(parse_error(R"({"name":"a","inner":{"channels":1,"chanels":2}})"),
            "x.json: machine.inner.chanels: unknown key (expected one of: channels, clock_ghz)");
}

TEST(Describe, WrongTypeIsAnError) {
  EXPECT_EQ(parse_error(R"({"name":"a","inner":{"channels":"8"}})"),
            "x.json: machine.inner.channels: expected an integer >= 1, got \"8\"");
  EXPECT_EQ(parse_error(R"({"name":5,"inner":{"channels":1}})"),
            "x.json: machine.name: expected a string, got 5");
  EXPECT_EQ(parse_error(R"({"name":"a","inner":{"channels":1},"flag":1})"),
            "x.json: machine.flag: expected true or false, got 1");
}

TEST(Describe, MissingRequiredKeyIsAnError) {
  EXPECT_EQ(parse_error(R"({"name":"a","inner":{}})"),
            "x.json: machine.inner.channels: missing required key (channels)");
}

TEST(Describe, RangeAndEnumAndCrossFieldChecks) {
  EXPECT_EQ(parse_error(R"({"name":"a","inner":{"channels":1},"limit":65})"),
            "x.json: machine.limit: expected an integer in [1, 64], got 65");
  EXPECT_EQ(parse_error(R"({"name":"a","inner":{"channels":1,"clock_ghz":0}})"),
            "x.json: machine.inner.clock_ghz: expected a finite number > 0, got 0");
  EXPECT_EQ(parse_error(R"({"name":"a","inner":{"channels":1},"policy":"opn"})"),
            "x.json: machine.policy: expected one of \"open\", \"closed\", got \"opn\"");
  EXPECT_EQ(parse_error(R"({"name":"a","inner":{"channels":1},"limit":9})"),
            "x.json: machine.limit: expected <= 8 x inner.channels = 8, got 9");
  EXPECT_EQ(parse_error(R"({"name":"a","inner":{"channels":1},"sizes":[1,0]})"),
            "x.json: machine.sizes[1]: expected an integer >= 1, got 0");
}

TEST(Describe, HugeNumbersDoNotWrap) {
  EXPECT_EQ(parse_error(R"({"name":"a","inner":{"channels":1},"limit":4294967297})"),
            "x.json: machine.limit: expected an integer in [1, 64], got 4294967297");
  EXPECT_EQ(parse_error(R"({"name":"a","inner":{"channels":1e30}})"),
            "x.json: machine.inner.channels: expected an integer >= 1 "
            "(at most 18446744073709551615), got 1e+30");
}

TEST(Describe, SourcesAreAllowedAndChecked) {
  Outer o = parse<Outer>(doc_from(
      R"({"name":"a","source":"paper","inner":{"channels":1,"sources":{"channels":"table 2"}}})"));
  EXPECT_EQ(o.inner.channels, 1u);
  EXPECT_EQ(parse_error(R"({"name":"a","inner":{"channels":1,"sources":{"chanels":"t"}}})"),
            "x.json: machine.inner.sources.chanels: cites a source for a key this object does "
            "not have");
  EXPECT_EQ(parse_error(R"({"name":"a","source":3,"inner":{"channels":1}})"),
            "x.json: machine.source: expected a string naming where the values come from, got 3");
}

TEST(Describe, RoundTripsThroughJson) {
  Outer o = parse<Outer>(doc_from(R"({"name":"a","inner":{"channels":8},"limit":4})"));
  ConfigDoc again;
  again.root_name = "machine";
  again.root = to_json(o);
  Outer p = parse<Outer>(again);
  EXPECT_EQ(to_json(p), to_json(o));
  EXPECT_EQ(to_json(o)["policy"], "open");
  EXPECT_EQ(to_json(o)["limit"], 4);
}

TEST(Describe, SchemaListsFieldsRequiredDefaultsAndLimits) {
  Json s = file_schema<Outer>("id", "Outer");
  EXPECT_EQ(s["type"], "object");
  EXPECT_EQ(s["additionalProperties"], false);
  EXPECT_EQ(s["required"], Json::array({"name", "inner"}));
  EXPECT_EQ(s["properties"]["inner"]["properties"]["channels"]["minimum"], 1);
  EXPECT_EQ(s["properties"]["inner"]["properties"]["clock_ghz"]["exclusiveMinimum"], 0.0);
  EXPECT_EQ(s["properties"]["inner"]["properties"]["clock_ghz"]["default"], 1.0);
  EXPECT_EQ(s["properties"]["policy"]["enum"], Json::array({"open", "closed"}));
  EXPECT_EQ(s["properties"]["limit"]["maximum"], 64);
  EXPECT_TRUE(s["properties"].contains("extends"));
}

TEST(StrictJson, SyntaxErrorNamesLineAndColumn) {
  try {
    parse_json_strict("{\n  \"a\": 1,\n  \"b\": tru\n}", "f.json");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("f.json:3:", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find("invalid JSON"), std::string::npos);
  }
}

TEST(StrictJson, RejectsDuplicateKeysDeepNestingAndNonFinite) {
  EXPECT_THROW(parse_json_strict(R"({"a":{"b":1,"b":2}})", "f"), InputError);
  try {
    parse_json_strict(R"({"a":{"b":1,"b":2}})", "f");
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "f: invalid JSON: duplicate key \"b\" in a");
  }
  std::string deep(100000, '[');
  EXPECT_THROW(parse_json_strict(deep, "f"), InputError);
  EXPECT_THROW(parse_json_strict(R"({"a": NaN})", "f"), InputError);
  EXPECT_THROW(parse_json_strict(R"({"a": Infinity})", "f"), InputError);
  EXPECT_THROW(parse_json_strict(R"({"a": 1e999})", "f"), InputError);
  EXPECT_THROW(parse_json_strict("", "f"), InputError);
  EXPECT_THROW(parse_json_strict(std::string("{\"a\":\"\xff\xfe\"}"), "f"), InputError);
}

class ConfigFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir();
    ::setenv("CIMSIM_DATA_DIR", dir_.c_str(), 1);
    std::filesystem::create_directories(dir_ + "/configs/machines");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    test::write_file(dir_ + "/configs/machines/" + name + ".json", text);
  }
  std::string dir_;
};

TEST_F(ConfigFiles, ExtendsMergesObjectsAndTracksProvenance) {
  write("base", R"({"name":"base","inner":{"channels":4,"clock_ghz":2}})");
  write("mid", R"({"extends":"base","name":"mid","inner":{"channels":8}})");
  write("top", R"({"extends":"mid","inner":{"channels":0}})");
  ConfigDoc doc = load_config(machine_kind(), "top");
  EXPECT_EQ(doc.root["name"], "mid");
  EXPECT_EQ(doc.root["inner"]["clock_ghz"], 2);
  EXPECT_FALSE(doc.root.contains("extends"));
  try {
    parse<Outer>(doc);
    FAIL();
  } catch (const InputError& e) {
    // The bad value came from top.json, so the message names top.json, not base.json.
    EXPECT_EQ(std::string(e.what()),
              dir_ +
                  "/configs/machines/top.json: machine.inner.channels: expected an integer "
                  ">= 1, got 0");
  }
  EXPECT_EQ(doc.provenance.origin("machine.inner.clock_ghz"), dir_ + "/configs/machines/base.json");
}

TEST_F(ConfigFiles, CyclicExtendsIsAnError) {
  write("a", R"({"extends":"b"})");
  write("b", R"({"extends":"a"})");
  try {
    load_config(machine_kind(), "a");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cyclic \"extends\": a.json -> b.json -> a.json"),
              std::string::npos)
        << e.what();
  }
}

// A config read from a pipe (`--machine /dev/stdin`): /proc/self/fd/N names "pipe:[...]",
// which the file system cannot resolve; the file is still read, and its errors are input
// errors (this threw std::filesystem_error, an internal error, before).
TEST_F(ConfigFiles, ConfigFromAPipeIsReadAndCheckedLikeAFile) {
  write("base", R"({"name":"base","inner":{"channels":4}})");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string text = R"({"extends":"base","inner":{"channels":0}})";
  ASSERT_EQ(::write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fds[1]);
  const std::string path = "/proc/self/fd/" + std::to_string(fds[0]);
  ConfigDoc doc = load_config(machine_kind(), path);
  ::close(fds[0]);
  EXPECT_EQ(doc.root["name"], "base");
  try {
    parse<Outer>(doc);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ": machine.inner.channels: expected an integer >= 1, got 0");
  }
}

TEST_F(ConfigFiles, UnknownPresetListsKnownOnes) {
  write("alpha", R"({})");
  try {
    load_config(machine_kind(), "beta");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "unknown machine preset \"beta\" (expected a file path or one of: alpha)");
  }
}

TEST_F(ConfigFiles, SetOverridesAreSchemaCheckedAndTyped) {
  write("m", R"({"name":"m","inner":{"channels":4}})");
  ConfigDoc doc = load_config(machine_kind(), "m");
  Json schema = file_schema<Outer>("id", "t");
  apply_assignment(doc, parse_assignment("machine.inner.clock_ghz=3.5"), schema);
  apply_assignment(doc, parse_assignment("machine.policy=closed"), schema);  // bare word
  apply_assignment(doc, parse_assignment("machine.limit=2"), schema);        // not in the file
  Outer o = parse<Outer>(doc);
  EXPECT_DOUBLE_EQ(o.inner.clock_ghz, 3.5);
  EXPECT_EQ(o.policy, Policy::closed);
  EXPECT_EQ(*o.limit, 2u);

  try {
    apply_assignment(doc, parse_assignment("machine.inner.chanels=2"), schema);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--set machine.inner.chanels=2: no setting "
                                         "machine.inner.chanels"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("channels, clock_ghz"), std::string::npos);
  }
  apply_assignment(doc, parse_assignment("machine.inner.channels=many"), schema);
  try {
    parse<Outer>(doc);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "--set machine.inner.channels=many: machine.inner.channels: expected an integer "
              ">= 1, got \"many\"");
  }
  EXPECT_THROW(parse_assignment("machine.inner.channels"), InputError);
  EXPECT_THROW(parse_assignment("=3"), InputError);
  EXPECT_THROW(parse_assignment("machine=3"), InputError);
}

}  // namespace
}  // namespace cimsim::config
