// systems/gcmap_erase.cc — system 1: gcmap::HashMap with immediate erase
// (systems/gcmap_system.h).
#include "gcmap_system.h"

STORM_REGISTER_SYSTEM(storm::gcmap_system::GcmapSystem<false>, "gcmap_erase",
                      "gcmap::HashMap<SmallString, Ptr<Session>>, erase in the storm", 1);
