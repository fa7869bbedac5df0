#include <algorithm>

#include "cimsim/common/error.hpp"
#include "cimsim/config/describe.hpp"
#include "cimsim/exec/executor.hpp"

namespace cimsim::exec {

const std::vector<MachineType>& machine_types() {
  static const std::vector<MachineType> types = [] {
    std::vector<MachineType> out;
    for (const auto* impl : config::Registry<MachineTypeAxis>::instance().all()) {
      MachineType t = impl->make(config::Params::of(config::NoParams{}));
      t.name = impl->name;
      t.summary = impl->description;
      out.push_back(std::move(t));
    }
    return out;
  }();
  return types;
}

const MachineType& machine_type_of(const config::ConfigDoc& doc) {
  std::string known;
  for (const auto& t : machine_types()) known += (known.empty() ? "" : ", ") + t.name;
  auto it = doc.root.find("type");
  if (it == doc.root.end()) {
    throw InputError(doc.where(doc.root_name + ".type"),
                     "missing required key (the machine type, one of: " + known + ")");
  }
  if (it->is_string()) {
    for (const auto& t : machine_types()) {
      if (t.name == it->get<std::string>()) return t;
    }
  }
  throw InputError(doc.where(doc.root_name + ".type"),
                   "expected one of: " + known + ", got " + config::describe_json_value(*it));
}

config::ConfigDoc load_machine(const std::string& name_or_file,
                               const std::vector<config::Assignment>& sets,
                               std::vector<bool>* applied) {
  config::ConfigDoc doc = config::load_config(config::machine_kind(), name_or_file);
  const MachineType& type = machine_type_of(doc);
  type.resolve_references(doc);
  Json schema = type.schema();
  if (applied != nullptr) applied->assign(sets.size(), false);
  for (size_t i = 0; i < sets.size(); ++i) {
    const auto& a = sets[i];
    if (a.root != "machine") continue;
    if (applied != nullptr) {
      if (!config::schema_has_path(schema, a.path, nullptr)) continue;
      (*applied)[i] = true;
    }
    config::apply_assignment(doc, a, schema);
  }
  type.validate(doc);
  return doc;
}

}  // namespace cimsim::exec
