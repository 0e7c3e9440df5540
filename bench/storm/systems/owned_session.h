// The session graph for the C++ maps that own their values (std_unordered,
// absl_flat): a Session with a 200-byte payload and three 64-byte nodes in a
// cycle. Ownership is explicit: the Session deletes its three nodes, so
// erasing an entry runs the whole destructor cascade (key, map node, session,
// three nodes: up to six free() calls) on the caller's thread, which is the
// cost the storm measures.
#pragma once

#include <cstdint>

#include "workload_def.h"

namespace storm {

struct OwnedNode {
  OwnedNode* next = nullptr;
  uint64_t payload[kNodeWords];
};
static_assert(sizeof(OwnedNode) == 64);

struct OwnedSession {
  uint64_t id;
  uint64_t payload[kSessionWords];
  OwnedNode* ring;  // node 0; node 2 points back to it

  explicit OwnedSession(uint64_t session_id) : id(session_id) {
    fill_session_payload(payload, id);
    OwnedNode* nodes[kRingNodes];
    for (unsigned k = 0; k < kRingNodes; ++k) {
      nodes[k] = new OwnedNode;
      fill_node_payload(nodes[k]->payload, id, k);
    }
    for (unsigned k = 0; k < kRingNodes; ++k) nodes[k]->next = nodes[(k + 1) % kRingNodes];
    ring = nodes[0];
  }
  ~OwnedSession() {
    OwnedNode* n = ring;
    for (unsigned k = 0; k < kRingNodes; ++k) {
      OwnedNode* next = n->next;
      delete n;
      n = next;
    }
  }
  OwnedSession(const OwnedSession&) = delete;
  OwnedSession& operator=(const OwnedSession&) = delete;
};

}  // namespace storm
