// Reproducer for a bug the map fuzzer found (not built by CMake; see
// README.md here for how to build and run it). Creating a map's deferred
// hub races with the deferred-erase scheduler thread: DeferredHubBase's
// constructor puts `this` in the registry before DeferredHub's members are
// built, so the scheduler calls pushed()/pending() on a half-built hub:
// "pure virtual method called", or UBSan's "member call on null pointer of
// type DeferredQueue" in DeferredHub::pushed (deferred.h).
#include <cstdio>
#include "gcmap/gcmap.h"
int main() {
  gcmap::ThreadScope attach;
  for (int i = 0; i < 200000; ++i) {
    gcmap::HashMap<uint64_t, uint64_t> m;
    m.erase_deferred(1);  // the first erase_deferred creates and registers the hub
  }
  std::puts("no crash");
}
