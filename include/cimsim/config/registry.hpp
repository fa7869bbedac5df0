// Named implementations of a policy axis, each declaring its own parameters (the Ramulator 2.0
// lesson: an interface per concept, implementations registered by name, every parameter
// declared once with its description and default).
//
// An *axis* is one interface with interchangeable implementations: the DRAM scheduler, the
// GPU attention kernel, the CIM ADC model, the machine type. It is a small struct naming the
// factory's signature:
//
//   struct SchedulerAxis : config::Axis<std::unique_ptr<Scheduler>(const SchedulerSetup&)> {
//     static constexpr const char* key = "memory.scheduler";   // `cimsim info`, docs
//     static constexpr const char* doc = "request scheduler of a pseudo-channel";
//   };
//
// An *implementation* is one .cpp file: the class, a Describe<> of its parameters (or none),
// and one registration, which the linker keeps (cimsim_core is linked whole):
//
//   struct BlissParams { uint32_t threshold = 4; };
//   template <> struct config::Describe<BlissParams> { ... f.optional("threshold", ...) ... };
//   CIMSIM_REGISTER(SchedulerAxis, BlissParams, "bliss", "Blacklisting (Subramanian, ICCD 2014)",
//                   [](const BlissParams& p, const SchedulerSetup& s) { return ...; });
//
// A config selects one with a field of type Choice<Axis>, written in JSON as a name
// ("scheduler": "bliss") or as an object with the implementation's parameters
// ("scheduler": {"name": "bliss", "threshold": 8}). Parsing is strict (an unknown name or
// parameter is an InputError naming the JSON path and listing what exists); the JSON Schema's
// enum and the parameters' schemas are generated from the registry, and so is `cimsim info`.
// `--set machine.x.scheduler.threshold=8` works on a choice given by name.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "cimsim/config/describe.hpp"

namespace cimsim::config {

// The parameters of an implementation that has none.
struct NoParams {};

// The parsed parameters of one implementation (its Describe<P> struct), type-erased so that
// a config struct can hold the choice of any implementation of an axis.
class Params {
 public:
  Params() = default;
  template <class P>
  static Params of(P value) {
    Params p;
    p.value_ = std::make_shared<const P>(std::move(value));
    p.type_ = &typeid(P);
    return p;
  }
  bool empty() const { return value_ == nullptr; }
  template <class P>
  const P& get() const {
    if (type_ == nullptr || *type_ != typeid(P)) {
      throw std::logic_error(std::string("registry: parameters are not of type ") +
                             typeid(P).name());
    }
    return *static_cast<const P*>(value_.get());
  }

 private:
  std::shared_ptr<const void> value_;
  const std::type_info* type_ = nullptr;
};

// What every implementation declares, whatever its axis's factory.
struct ImplementationInfo {
  std::string name;
  std::string description;
  std::vector<std::string> param_keys;  // in declaration order
  std::function<Json()> params_schema;  // JSON Schema "properties" of its parameters
  // Parses the parameters from a choice object (its "name", "source" and "sources" are
  // skipped); an InputError names `path`.<key>.
  std::function<Params(const Json& object, const std::string& path, const Context& ctx)>
      parse_params;
  std::function<Params()> default_params;
  std::function<Json(const Params&)> params_to_json;  // {key: value} of every parameter
};

// The base of an axis: the factory type and the wrapper that hands an implementation its own
// parameter struct instead of the type-erased Params.
template <class Signature>
struct Axis;
template <class R, class... Args>
struct Axis<R(Args...)> {
  using Factory = std::function<R(const Params&, Args...)>;
  template <class P, class F>
  static Factory wrap(F make) {
    return [make](const Params& params, Args... args) -> R {
      return make(params.template get<P>(), std::forward<Args>(args)...);
    };
  }
};

template <class AxisT>
struct Implementation : ImplementationInfo {
  typename AxisT::Factory make;
};

// An axis as `cimsim info` and the docs list it.
struct AxisInfo {
  std::string key;
  std::string doc;
  std::function<std::vector<const ImplementationInfo*>()> implementations;  // sorted by name
};
// Every axis that has at least one implementation, sorted by key.
std::vector<AxisInfo> registered_axes();
void register_axis(AxisInfo axis);  // called once per axis by Registry<A>::instance()

template <class AxisT>
class Registry {
 public:
  static Registry& instance() {
    static Registry registry;
    return registry;
  }
  // A second implementation under one name is a programming error, found at start-up.
  void add(Implementation<AxisT> impl) {
    std::string name = impl.name;
    if (!impls_.emplace(name, std::move(impl)).second) {
      throw std::logic_error(std::string("registry ") + AxisT::key + ": \"" + name +
                             "\" registered twice");
    }
  }
  const Implementation<AxisT>* find(const std::string& name) const {
    auto it = impls_.find(name);
    return it == impls_.end() ? nullptr : &it->second;
  }
  // For names a parsed config holds (parsing checked them).
  const Implementation<AxisT>& get(const std::string& name) const {
    const auto* impl = find(name);
    if (impl == nullptr) {
      throw std::logic_error(std::string("registry ") + AxisT::key + ": no implementation \"" +
                             name + "\"");
    }
    return *impl;
  }
  std::vector<const Implementation<AxisT>*> all() const {
    std::vector<const Implementation<AxisT>*> out;
    for (const auto& [name, impl] : impls_) out.push_back(&impl);
    return out;
  }
  std::string names() const {
    std::string s;
    for (const auto& [name, impl] : impls_) s += (s.empty() ? "\"" : ", \"") + name + "\"";
    return s;
  }

 private:
  Registry() {
    register_axis(AxisInfo{AxisT::key, AxisT::doc, [this] {
                             std::vector<const ImplementationInfo*> out;
                             for (const auto& [name, impl] : impls_) out.push_back(&impl);
                             return out;
                           }});
  }
  std::map<std::string, Implementation<AxisT>> impls_;  // sorted: listings are deterministic
};

template <>
struct Describe<NoParams> {
  static constexpr const char* doc = "no parameters";
  static void fields(Fields<NoParams>&) {}
};

// One static object per implementation file (use CIMSIM_REGISTER).
template <class AxisT, class P = NoParams>
struct Registrar {
  template <class F>
  Registrar(const char* name, const char* description, F make) {
    Implementation<AxisT> impl;
    impl.name = name;
    impl.description = description;
    for (const auto& f : fields_of<P>().fields()) impl.param_keys.push_back(f.key);
    impl.params_schema = [] {
      Json props = Json::object();
      for (const auto& f : fields_of<P>().fields()) props[f.key] = f.schema();
      return props;
    };
    impl.parse_params = [](const Json& object, const std::string& path, const Context& ctx) {
      Json copy = object;
      copy.erase("name");
      return Params::of<P>(ValueTraits<P>::parse(copy, path, ctx, Limits{}));
    };
    impl.default_params = [] { return Params::of<P>(P{}); };
    impl.params_to_json = [](const Params& params) {
      return ValueTraits<P>::to_json(params.template get<P>());
    };
    impl.make = AxisT::template wrap<P>(std::move(make));
    Registry<AxisT>::instance().add(std::move(impl));
  }
};

#define CIMSIM_REGISTRY_CONCAT2(a, b) a##b
#define CIMSIM_REGISTRY_CONCAT(a, b) CIMSIM_REGISTRY_CONCAT2(a, b)
// Registers an implementation of AxisT named NAME whose factory takes (const P&, axis args...).
// The registrar's name is unique per translation unit (the core is built as unity batches).
#define CIMSIM_REGISTER(AxisT, P, NAME, DESCRIPTION, ...)                    \
  static const ::cimsim::config::Registrar<AxisT, P> CIMSIM_REGISTRY_CONCAT( \
      cimsim_registrar_, __COUNTER__)(NAME, DESCRIPTION, __VA_ARGS__)

// The selection of one implementation of an axis in a config struct, with its parameters.
// Default member initialisers name the default implementation: `Choice<A> x{"fr_fcfs"};`.
template <class AxisT>
struct Choice {
  std::string name;
  Params params;  // empty: the implementation's defaults

  Choice() = default;
  Choice(const char* n) : name(n) {}             // NOLINT(google-explicit-constructor)
  Choice(std::string n) : name(std::move(n)) {}  // NOLINT(google-explicit-constructor)

  const Implementation<AxisT>& implementation() const {
    return Registry<AxisT>::instance().get(name);
  }
  // The parameters, the implementation's defaults if none were given.
  Params resolved_params() const {
    return params.empty() ? implementation().default_params() : params;
  }
  template <class P>
  P params_as() const {
    return resolved_params().template get<P>();
  }
  // Builds the implementation: make(args...) with its parameters.
  template <class... Args>
  auto make(Args&&... args) const {
    return implementation().make(resolved_params(), std::forward<Args>(args)...);
  }
  bool is(const char* n) const { return name == n; }
};

namespace detail {
// Shared, type-independent parts of ValueTraits<Choice<A>> (src/config/registry.cpp).
struct ChoiceParse {
  std::string name;
  const ImplementationInfo* impl = nullptr;
  Params params;
};
ChoiceParse parse_choice(const Json& j, const std::string& path, const Context& c,
                         const std::vector<const ImplementationInfo*>& impls, const char* axis_doc);
Json choice_schema(const std::vector<const ImplementationInfo*>& impls, const char* axis_doc);
Json choice_to_json(const std::string& name, const Params& params,
                    const std::vector<const ImplementationInfo*>& impls);
template <class AxisT>
std::vector<const ImplementationInfo*> infos() {
  std::vector<const ImplementationInfo*> out;
  for (const auto* impl : Registry<AxisT>::instance().all()) out.push_back(impl);
  return out;
}
}  // namespace detail

template <class AxisT>
struct ValueTraits<Choice<AxisT>> {
  static Choice<AxisT> parse(const Json& j, const std::string& path, const Context& c,
                             const Limits&) {
    detail::ChoiceParse parsed =
        detail::parse_choice(j, path, c, detail::infos<AxisT>(), AxisT::doc);
    Choice<AxisT> out(parsed.name);
    out.params = std::move(parsed.params);
    return out;
  }
  static Json schema(const Limits&) {
    return detail::choice_schema(detail::infos<AxisT>(), AxisT::doc);
  }
  static Json to_json(const Choice<AxisT>& v) {
    return detail::choice_to_json(v.name, v.params, detail::infos<AxisT>());
  }
  static void resolve(Json&, const std::string&, ConfigDoc&) {}
};

}  // namespace cimsim::config
