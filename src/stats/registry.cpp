#include "cimsim/stats/registry.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "cimsim/common/checked_math.hpp"

namespace cimsim::stats {

ComponentInfo& Registry::find_or_add_component(const std::string& name) {
  for (auto& c : components_) {
    if (c.name == name) return c;
  }
  components_.push_back(ComponentInfo{name, 0, 0, 1});
  return components_.back();
}

ActionId Registry::action(const std::string& component, const std::string& action, double energy_pj,
                          const std::string& source) {
  for (size_t i = 0; i < actions_.size(); ++i) {
    if (actions_[i].component == component && actions_[i].action == action) {
      return static_cast<ActionId>(i);
    }
  }
  find_or_add_component(component);
  actions_.push_back(ActionInfo{component, action, energy_pj, source});
  return static_cast<ActionId>(actions_.size() - 1);
}

void Registry::component(const std::string& name, double static_power_w, double area_mm2,
                         uint64_t instances) {
  ComponentInfo& c = find_or_add_component(name);
  c.static_power_w = static_power_w;
  c.area_mm2 = area_mm2;
  c.instances = instances;
}

LinkId Registry::link(const std::string& name, const std::string& description) {
  for (size_t i = 0; i < links_.size(); ++i) {
    if (links_[i].name == name) return static_cast<LinkId>(i);
  }
  links_.push_back(LinkInfo{name, description});
  return static_cast<LinkId>(links_.size() - 1);
}

void Counts::reset(const Registry& registry) {
  actions.assign(registry.actions().size(), 0);
  read_bytes.assign(registry.links().size(), 0);
  write_bytes.assign(registry.links().size(), 0);
}

namespace {
void add_vector(std::vector<uint64_t>& into, const std::vector<uint64_t>& from, const char* what) {
  if (into.size() < from.size()) into.resize(from.size(), 0);
  for (size_t i = 0; i < from.size(); ++i) into[i] = checked_add(into[i], from[i], what);
}
}  // namespace

void Counts::add(const Counts& other) {
  add_vector(actions, other.actions, "action count");
  add_vector(read_bytes, other.read_bytes, "bytes read");
  add_vector(write_bytes, other.write_bytes, "bytes written");
}

namespace {
void subtract_vector(std::vector<uint64_t>& from, const std::vector<uint64_t>& what,
                     const char* name) {
  if (from.size() < what.size()) from.resize(what.size(), 0);
  for (size_t i = 0; i < what.size(); ++i) {
    if (what[i] > from[i]) {
      throw std::logic_error(std::string("counts: subtracting ") + std::to_string(what[i]) + " " +
                             name + " from " + std::to_string(from[i]));
    }
    from[i] -= what[i];
  }
}
}  // namespace

Counts& Counts::operator-=(const Counts& other) {
  subtract_vector(actions, other.actions, "action count");
  subtract_vector(read_bytes, other.read_bytes, "bytes read");
  subtract_vector(write_bytes, other.write_bytes, "bytes written");
  return *this;
}

bool Counts::empty() const {
  auto zero = [](const std::vector<uint64_t>& v) {
    return std::all_of(v.begin(), v.end(), [](uint64_t x) { return x == 0; });
  };
  return zero(actions) && zero(read_bytes) && zero(write_bytes);
}

}  // namespace cimsim::stats
