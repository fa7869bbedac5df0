// No hash: the fields are the digits of the address as the order gives them.
#include "cimsim/memory/address_hash.hpp"

namespace cimsim::memory {

CIMSIM_REGISTER(AddressHashAxis, config::NoParams, "none", "the fields as the order splits them",
                [](const config::NoParams&, const FieldValues&) -> std::unique_ptr<AddressHash> {
                  return nullptr;
                });

}  // namespace cimsim::memory
