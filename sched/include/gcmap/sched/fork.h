// fork() and the runtime. A fork() child holds only the thread that called
// fork(): the other attached threads, the TBB workers and the collector's
// threads are gone, while the registry still lists them and the locks they
// held stay held. A stop in the child would wait forever for the dead
// threads; a lock would never be released. So once the scheduler has
// started, the child of a fork() may not use the runtime until it calls
// exec: attaching, stopping the world, running work on the workers, and
// (in gc/) allocating, collecting and creating Roots fail with a message
// saying so. Tearing down (a MutatorScope or Root destroyed, the thread
// exiting) does nothing in the child, so that exit() after a failed exec
// works. The parent is untouched: there is no prepare handler, so fork()
// takes no gcmap lock and cannot deadlock on one.
#pragma once

namespace gcmap::sched {

// True in the child of a fork() made after the scheduler started.
bool in_forked_child();

// "gcmap: the heap was used in a fork() child without exec (<what>): ...",
// then abort.
[[noreturn]] void fatal_in_forked_child(const char* what);

}  // namespace gcmap::sched
