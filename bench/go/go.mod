module gcmap.dev/bench/storm

go 1.19
