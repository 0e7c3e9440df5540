// The public API of gcmap: include this one header.
#pragma once

#include "gcmap/map/hashmap.h"
