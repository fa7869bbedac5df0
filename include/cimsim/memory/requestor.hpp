// Who issued a memory request, carried on a TLM payload to the memory system: an SM, a core, a
// DMA stream. The memory's scheduler may treat requestors differently (BLISS blacklists the
// ones with long streaks); every other part ignores it. A payload without the extension is
// requestor 0 ("nobody said"). An initiator that forwards a request on a payload of its own
// (a cache filling a miss) copies the id across with forward_requestor().
#pragma once

#include <tlm>

#include "cimsim/memory/command.hpp"

namespace cimsim::memory {

struct RequestorExtension : tlm::tlm_extension<RequestorExtension> {
  RequestorId id = 0;
  tlm::tlm_extension_base* clone() const override { return new RequestorExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    id = static_cast<const RequestorExtension&>(other).id;
  }
};

inline RequestorId requestor_of(const tlm::tlm_generic_payload& p) {
  const auto* e = p.get_extension<RequestorExtension>();
  return e != nullptr ? e->id : 0;
}

// Sets the id (the payload owns the extension from then on; payloads are reused, so it is
// made once per payload).
inline void set_requestor(tlm::tlm_generic_payload& p, RequestorId id) {
  auto* e = p.get_extension<RequestorExtension>();
  if (e == nullptr) {
    e = new RequestorExtension;
    p.set_extension(e);
  }
  e->id = id;
}

inline void forward_requestor(const tlm::tlm_generic_payload& from, tlm::tlm_generic_payload& to) {
  set_requestor(to, requestor_of(from));
}

}  // namespace cimsim::memory
