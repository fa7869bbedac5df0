// The registry of named implementations (config/registry.hpp): an axis, implementations
// registered from this file only (the way a new policy is added), the choice in a config
// (by name or as an object with parameters), errors, schema, JSON form, --set and listing.
#include <gtest/gtest.h>

#include <memory>

#include "cimsim/config/overrides.hpp"
#include "cimsim/config/registry.hpp"
#include "cimsim/exec/executor.hpp"

namespace {

// A toy axis: something that turns a count of items into cycles.
class Pacer {
 public:
  virtual ~Pacer() = default;
  virtual uint64_t cycles(uint64_t items) const = 0;
};
struct PacerAxis : cimsim::config::Axis<std::unique_ptr<Pacer>(uint64_t overhead)> {
  static constexpr const char* key = "test.pacer";
  static constexpr const char* doc = "how items become cycles";
};

class Steady final : public Pacer {
 public:
  explicit Steady(uint64_t overhead) : overhead_(overhead) {}
  uint64_t cycles(uint64_t items) const override { return overhead_ + items; }

 private:
  uint64_t overhead_;
};

struct BurstyParams {
  uint64_t burst = 4;
  double gap_cycles = 2.5;
};
class Bursty final : public Pacer {
 public:
  Bursty(const BurstyParams& p, uint64_t overhead) : p_(p), overhead_(overhead) {}
  uint64_t cycles(uint64_t items) const override {
    uint64_t bursts = (items + p_.burst - 1) / p_.burst;
    return overhead_ + items + static_cast<uint64_t>(bursts * p_.gap_cycles);
  }

 private:
  BurstyParams p_;
  uint64_t overhead_;
};

struct Settings {
  cimsim::config::Choice<PacerAxis> pacer{"steady"};
  uint64_t overhead = 10;
};

}  // namespace

namespace cimsim::config {
template <>
struct Describe<BurstyParams> {
  static constexpr const char* doc = "bursty pacing";
  static void fields(Fields<BurstyParams>& f) {
    f.optional("burst", &BurstyParams::burst, "items per burst", at_least(1));
    f.optional("gap_cycles", &BurstyParams::gap_cycles, "idle cycles between bursts", at_least(0));
  }
};
template <>
struct Describe<Settings> {
  static constexpr const char* doc = "settings";
  static void fields(Fields<Settings>& f) {
    f.optional("pacer", &Settings::pacer, "pacing policy");
    f.optional("overhead", &Settings::overhead, "fixed cycles");
  }
};

// The two registrations: all it takes to add an implementation.
CIMSIM_REGISTER(PacerAxis, NoParams, "steady", "one item per cycle",
                [](const NoParams&, uint64_t overhead) {
                  return std::make_unique<Steady>(overhead);
                });
CIMSIM_REGISTER(PacerAxis, BurstyParams, "bursty", "bursts of items with idle gaps",
                [](const BurstyParams& p, uint64_t overhead) {
                  return std::make_unique<Bursty>(p, overhead);
                });

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
    parse<Settings>(doc_from(text));
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Registry, DefaultChoiceBuildsTheNamedImplementation) {
  Settings s = parse<Settings>(doc_from("{}"));
  EXPECT_EQ(s.pacer.name, "steady");
  EXPECT_EQ(s.pacer.make(s.overhead)->cycles(7), 17u);  // 10 + 7
}

TEST(Registry, ChoiceByNameTakesTheImplementationsDefaults) {
  Settings s = parse<Settings>(doc_from(R"({"pacer":"bursty"})"));
  // 10 items in bursts of 4: 3 bursts x 2.5 = 7.5 -> 7 idle cycles; 10 + 10 + 7.
  EXPECT_EQ(s.pacer.make(s.overhead)->cycles(10), 27u);
  EXPECT_EQ(s.pacer.params_as<BurstyParams>().burst, 4u);
}

TEST(Registry, ChoiceAsObjectParsesItsOwnParameters) {
  Settings s = parse<Settings>(doc_from(R"({"pacer":{"name":"bursty","burst":5,"gap_cycles":1,
      "source":"a note","sources":{"burst":"a datasheet"}}})"));
  // 10 items in bursts of 5: 2 bursts x 1 = 2; 10 + 10 + 2.
  EXPECT_EQ(s.pacer.make(s.overhead)->cycles(10), 22u);
}

TEST(Registry, ErrorsNameThePathTheValueAndWhatExists) {
  EXPECT_EQ(parse_error(R"({"pacer":"jumpy"})"),
            "x.json: machine.pacer: expected one of \"bursty\", \"steady\" (how items become "
            "cycles), or an object {\"name\": ..., parameters}, got \"jumpy\"");
  EXPECT_EQ(parse_error(R"({"pacer":{"name":"bursty","bust":3}})"),
            "x.json: machine.pacer.bust: unknown key for \"bursty\" (expected one of: name, "
            "burst, gap_cycles)");
  EXPECT_EQ(parse_error(R"({"pacer":{"name":"steady","burst":3}})"),
            "x.json: machine.pacer.burst: unknown key for \"steady\" (expected one of: name)");
  EXPECT_EQ(parse_error(R"({"pacer":{"name":"bursty","burst":0}})"),
            "x.json: machine.pacer.burst: expected an integer >= 1, got 0");
  EXPECT_EQ(parse_error(R"({"pacer":{"burst":2}})"),
            "x.json: machine.pacer.name: missing required key (one of \"bursty\", \"steady\" "
            "(how items become cycles), or an object {\"name\": ..., parameters})");
  EXPECT_EQ(parse_error(R"({"pacer":3})"),
            "x.json: machine.pacer: expected one of \"bursty\", \"steady\" (how items become "
            "cycles), or an object {\"name\": ..., parameters}, got 3");
}

TEST(Registry, JsonFormIsTheNameOrTheNameWithEveryParameter) {
  Settings steady = parse<Settings>(doc_from(R"({"pacer":"steady"})"));
  EXPECT_EQ(to_json(steady)["pacer"], Json("steady"));
  Settings bursty = parse<Settings>(doc_from(R"({"pacer":{"name":"bursty","burst":8}})"));
  EXPECT_EQ(to_json(bursty)["pacer"], Json::parse(R"({"name":"bursty","burst":8,
                                                      "gap_cycles":2.5})"));
}

TEST(Registry, SchemaEnumAndParametersComeFromTheRegistry) {
  Json s = ValueTraits<Settings>::schema(Limits{})["properties"]["pacer"];
  EXPECT_EQ(s["anyOf"][0]["enum"], Json::array({"bursty", "steady"}));
  const Json& object = s["anyOf"][1];
  EXPECT_EQ(object["properties"]["burst"]["default"], Json(4));
  EXPECT_EQ(object["oneOf"].size(), 2u);
  EXPECT_EQ(s["default"], Json("steady"));
}

TEST(Registry, SetReachesTheParametersOfAChoiceGivenByName) {
  ConfigDoc doc = doc_from(R"({"pacer":"bursty"})");
  Json schema = file_schema<Settings>("id", "t");
  apply_assignment(doc, parse_assignment("machine.pacer.burst=2"), schema);
  Settings s = parse<Settings>(doc);
  EXPECT_EQ(s.pacer.name, "bursty");
  EXPECT_EQ(s.pacer.params_as<BurstyParams>().burst, 2u);
  apply_assignment(doc, parse_assignment("machine.pacer=steady"), schema);
  EXPECT_EQ(parse<Settings>(doc).pacer.name, "steady");
}

TEST(Registry, EveryAxisIsListedWithItsImplementations) {
  bool found = false;
  for (const auto& axis : registered_axes()) {
    if (axis.key != std::string("test.pacer")) continue;
    found = true;
    auto impls = axis.implementations();
    ASSERT_EQ(impls.size(), 2u);
    EXPECT_EQ(impls[0]->name, "bursty");
    EXPECT_EQ(impls[0]->param_keys, (std::vector<std::string>{"burst", "gap_cycles"}));
    EXPECT_EQ(impls[1]->name, "steady");
  }
  EXPECT_TRUE(found);
  // The core's own axes are linked in whole (a static archive would drop the registrations).
  std::vector<std::string> types;
  for (const auto& t : exec::machine_types()) types.push_back(t.name);
  EXPECT_EQ(types, (std::vector<std::string>{"cim", "von_neumann"}));
}

TEST(Registry, RegisteringANameTwiceIsAProgrammingError) {
  Implementation<PacerAxis> twice;
  twice.name = "steady";
  EXPECT_THROW(Registry<PacerAxis>::instance().add(twice), std::logic_error);
}

}  // namespace
}  // namespace cimsim::config
