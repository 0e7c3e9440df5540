// Verify mode (GCMAP_VERIFY=1): after each mark, with the world still
// stopped, walk the object graph again single-threaded from the same roots
// and check that every reachable object is marked and every Ptr points to an
// allocated object. On failure, abort with the path from the root, so the
// missing trace() or barrier can be found (cppgc's marking verifier).
#include <cinttypes>
#include <cstdio>
#include <deque>
#include <string>
#include <unordered_map>

#include "gcmap/alloc/pagemap.h"
#include "gcmap/base/assert.h"
#include "mark.h"
#include "runtime_state.h"
#include "types.h"
#include "verify.h"

namespace gcmap::gc::detail {

namespace {

class Verifier final : public RootSink, public Visitor {
 public:
  void conservative(uintptr_t word) override {
    alloc::ObjectRef r;
    if (alloc::find_object(word, &r)) reach(r.span, r.index, 0);
  }
  Visitor& precise() override { return *this; }
  void begin(const char* kind, long tid) override {
    std::string what = kind;
    if (tid >= 0) what += " " + std::to_string(tid);
    if (labels_.empty() || labels_.back() != what) labels_.push_back(what);
    current_root_ = labels_.size();
  }

  void run() {
    while (!queue_.empty()) {
      uintptr_t obj = queue_.front();
      queue_.pop_front();
      alloc::Span* s = alloc::g_pagemap.lookup(obj);
      uint32_t i = s->slot_of(obj);
      if (!s->is_marked(i)) fail(obj, "is reachable but was not marked");
      const TypeInfo& t = type_info(s->types[i]);
      if (t.trace != nullptr) {
        parent_ = obj;
        t.trace(reinterpret_cast<const void*>(obj), *this);
        parent_ = 0;
      }
    }
  }

 protected:
  void visit_pointer(const void* p) override {
    alloc::Span* s = alloc::g_pagemap.lookup(reinterpret_cast<uintptr_t>(p));
    if (s == nullptr) fail_edge(p, "is not in the GC heap");
    uint32_t i = s->slot_of(reinterpret_cast<uintptr_t>(p));
    if (i >= s->nelems || !s->is_allocated(i)) fail_edge(p, "points to freed memory");
    reach(s, i, parent_);
  }

 private:
  struct Origin {
    uintptr_t parent;  // 0: a root
    size_t root;       // index + 1 into labels_
  };

  void reach(alloc::Span* s, uint32_t i, uintptr_t parent) {
    uintptr_t obj = s->slot_address(i);
    if (origin_.emplace(obj, Origin{parent, current_root_}).second) queue_.push_back(obj);
  }

  std::string describe(uintptr_t obj) {
    alloc::Span* s = alloc::g_pagemap.lookup(obj);
    char buf[64];
    snprintf(buf, sizeof buf, "@%#" PRIxPTR, obj);
    return short_type_name(s->types[s->slot_of(obj)]) + buf;
  }

  std::string path_to(uintptr_t obj) {
    std::deque<std::string> parts;
    size_t root = 0;
    for (uintptr_t o = obj; o != 0;) {
      parts.push_front(describe(o));
      const Origin& org = origin_.at(o);
      root = org.root;
      o = org.parent;
    }
    std::string out = root ? labels_[root - 1] : "root";
    for (auto& p : parts) out += " -> " + p;
    return out;
  }

  [[noreturn]] void fail(uintptr_t obj, const char* what) {
    GCMAP_FATAL("verify: %s %s: %s", describe(obj).c_str(), what, path_to(obj).c_str());
  }
  [[noreturn]] void fail_edge(const void* p, const char* what) {
    std::string from = parent_ ? path_to(parent_) : std::string("a root");
    GCMAP_FATAL("verify: a pointer %p %s, found in %s", p, what, from.c_str());
  }

  std::unordered_map<uintptr_t, Origin> origin_;
  std::deque<uintptr_t> queue_;
  std::vector<std::string> labels_;
  size_t current_root_ = 0;
  uintptr_t parent_ = 0;
};

}  // namespace

void verify_marking(const std::vector<RootJob>& roots) {
  Verifier v;
  for (const RootJob& job : roots) job(v);
  v.run();
}

}  // namespace gcmap::gc::detail
