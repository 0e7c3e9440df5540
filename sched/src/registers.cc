// Capturing callee-saved registers, in assembly so that the values captured
// are the caller's: a C++ function's prologue may save them in its own frame
// and reuse the registers before any inline asm in its body runs.
//
//   gcmap_sched_capture_registers(out): stores them in out[] in canonical
//     order and returns the caller's stack pointer at the call (leaf, no
//     stack use). Blocking regions and stoppers use it: they return and run
//     on, so the frames below the caller's are not part of the range.
//   gcmap_sched_park_at_safepoint(): pushes them on the stack in canonical
//     order and calls gcmap_sched_park_slow(regs, sp) with sp = that block:
//     the thread stays inside until the restart, so the block itself lies in
//     the recorded range [sp, stack base) as well as in the Mutator.
//
// Not setjmp: glibc mangles rbp (and sp) in a jmp_buf.
#include <cstdint>

#include "gcmap/sched/blocking.h"
#include "gcmap/sched/mutator.h"
#include "gcmap/sched/safepoint.h"

#if defined(__x86_64__)

// Canonical order: rbx rbp r12 r13 r14 r15.
__asm__(R"(
    .pushsection .text
    .p2align 4
    .globl gcmap_sched_capture_registers
    .type gcmap_sched_capture_registers, @function
gcmap_sched_capture_registers:
    .cfi_startproc
    movq %rbx, 0(%rdi)
    movq %rbp, 8(%rdi)
    movq %r12, 16(%rdi)
    movq %r13, 24(%rdi)
    movq %r14, 32(%rdi)
    movq %r15, 40(%rdi)
    leaq 8(%rsp), %rax
    ret
    .cfi_endproc
    .size gcmap_sched_capture_registers, .-gcmap_sched_capture_registers

    .p2align 4
    .globl gcmap_sched_park_at_safepoint
    .type gcmap_sched_park_at_safepoint, @function
gcmap_sched_park_at_safepoint:
    .cfi_startproc
    pushq %rbp
    .cfi_def_cfa_offset 16
    .cfi_offset %rbp, -16
    movq %rsp, %rbp
    .cfi_def_cfa_register %rbp
    pushq %r15
    .cfi_offset %r15, -24
    pushq %r14
    .cfi_offset %r14, -32
    pushq %r13
    .cfi_offset %r13, -40
    pushq %r12
    .cfi_offset %r12, -48
    pushq (%rbp)
    pushq %rbx
    .cfi_offset %rbx, -64
    movq %rsp, %rdi
    movq %rsp, %rsi
    call gcmap_sched_park_slow
    popq %rbx
    addq $8, %rsp
    popq %r12
    popq %r13
    popq %r14
    popq %r15
    popq %rbp
    .cfi_def_cfa %rsp, 8
    ret
    .cfi_endproc
    .size gcmap_sched_park_at_safepoint, .-gcmap_sched_park_at_safepoint
    .popsection
)");

#elif defined(__aarch64__)

// Canonical order: x19 .. x28, x29 (the caller's frame pointer).
__asm__(R"(
    .pushsection .text
    .p2align 4
    .globl gcmap_sched_capture_registers
    .type gcmap_sched_capture_registers, %function
gcmap_sched_capture_registers:
    .cfi_startproc
    stp x19, x20, [x0, #0]
    stp x21, x22, [x0, #16]
    stp x23, x24, [x0, #32]
    stp x25, x26, [x0, #48]
    stp x27, x28, [x0, #64]
    str x29, [x0, #80]
    mov x0, sp
    ret
    .cfi_endproc
    .size gcmap_sched_capture_registers, .-gcmap_sched_capture_registers

    .p2align 4
    .globl gcmap_sched_park_at_safepoint
    .type gcmap_sched_park_at_safepoint, %function
gcmap_sched_park_at_safepoint:
    .cfi_startproc
    stp x29, x30, [sp, #-16]!
    .cfi_def_cfa_offset 16
    .cfi_offset x29, -16
    .cfi_offset x30, -8
    mov x29, sp
    .cfi_def_cfa_register x29
    sub sp, sp, #96
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    ldr x9, [x29]
    str x9, [sp, #80]
    mov x0, sp
    mov x1, sp
    bl gcmap_sched_park_slow
    mov sp, x29
    ldp x29, x30, [sp], #16
    .cfi_def_cfa sp, 0
    ret
    .cfi_endproc
    .size gcmap_sched_park_at_safepoint, .-gcmap_sched_park_at_safepoint
    .popsection
)");

#else

extern "C" void gcmap_sched_park_slow(const uintptr_t* canonical_regs, const void* sp);

namespace gcmap::sched {
namespace {
// Called below a frame whose __builtin_unwind_init() saved every callee-saved
// register: the local's address bounds that frame from below.
__attribute__((noinline)) void park_below_saved_registers() {
  volatile uintptr_t none = 0;
  gcmap_sched_park_slow(nullptr, const_cast<const uintptr_t*>(&none));
}
}  // namespace

// Fallback: no registers in the Mutator, they are on the stack instead.
__attribute__((noinline)) void park_at_safepoint() {
  __builtin_unwind_init();
  park_below_saved_registers();
}

namespace detail {
// Fallback: nothing captured. The caller's callee-saved registers are not
// seen by the collector while it blocks; supported platforms use assembly.
__attribute__((noinline)) const void* capture_registers(uintptr_t*) {
  __builtin_unwind_init();
  return __builtin_frame_address(0);
}
}  // namespace detail
}  // namespace gcmap::sched

#endif
