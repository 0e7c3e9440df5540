// systems/gcmap_erase_deferred.cc — system 2: gcmap::HashMap whose storm
// queues its erases with erase_deferred (systems/gcmap_system.h).
#include "gcmap_system.h"

STORM_REGISTER_SYSTEM(storm::gcmap_system::GcmapSystem<true>, "gcmap_erase_deferred",
                      "gcmap::HashMap<SmallString, Ptr<Session>>, erase_deferred in the storm", 2);
