// Conservative scanning of stacks and spilled registers (internal).
#pragma once

#include <cstddef>
#include <cstdint>

namespace gcmap::gc::detail {

// Calls consider(word, ctx) for every aligned word in [lo, hi). The reads are
// not instrumented by ASan or TSan: a stack holds redzones and the slots of a
// stopped thread, which are ours to read while it is stopped.
void scan_words(const void* lo, const void* hi, void (*consider)(uintptr_t, void*), void* ctx);

// Spill this thread's callee-saved registers into the current frame and call
// fn(ctx, sp), where everything from sp up to the stack base is frozen for
// the duration of fn (it belongs to fn's callers) and holds the registers.
void with_registers_spilled(void (*fn)(void* ctx, const void* sp), void* ctx);

// ASan's fake stack of this thread (use-after-return mode), or null. A word
// that points into one of its frames makes that frame part of the stack.
void* current_fake_stack();
// If word points into a frame of fake_stack, its bounds.
bool fake_frame_of(void* fake_stack, uintptr_t word, const void** beg, const void** end);

}  // namespace gcmap::gc::detail
