// Conservative stack scanning: uninstrumented word reads, register spilling,
// stack bounds, and ASan fake stacks.
#include "stackscan.h"

#include <pthread.h>

#include "gcmap/base/assert.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace gcmap::gc::detail {

__attribute__((no_sanitize("address", "thread", "undefined"))) GCMAP_NOINLINE void scan_words(
    const void* lo, const void* hi, void (*consider)(uintptr_t, void*), void* ctx) {
  auto a = (reinterpret_cast<uintptr_t>(lo) + sizeof(uintptr_t) - 1) & ~(sizeof(uintptr_t) - 1);
  auto* p = reinterpret_cast<const volatile uintptr_t*>(a);
  auto* e = static_cast<const volatile uintptr_t*>(hi);
  for (; p < e; ++p) consider(*p, ctx);
}

GCMAP_NOINLINE void with_registers_spilled(void (*fn)(void* ctx, const void* sp), void* ctx) {
  // The callee-saved registers may hold the only copy of a pointer held by a
  // caller; store them here, below the callers' frames, then scan from here.
#if defined(__x86_64__)
  uintptr_t regs[6];
  asm volatile(
      "movq %%rbx, 0(%0)\n\t"
      "movq %%rbp, 8(%0)\n\t"
      "movq %%r12, 16(%0)\n\t"
      "movq %%r13, 24(%0)\n\t"
      "movq %%r14, 32(%0)\n\t"
      "movq %%r15, 40(%0)\n\t"
      :
      : "r"(regs)
      : "memory");
#elif defined(__aarch64__)
  uintptr_t regs[12];
  asm volatile(
      "stp x19, x20, [%0, #0]\n\t"
      "stp x21, x22, [%0, #16]\n\t"
      "stp x23, x24, [%0, #32]\n\t"
      "stp x25, x26, [%0, #48]\n\t"
      "stp x27, x28, [%0, #64]\n\t"
      "stp x29, x30, [%0, #80]\n\t"
      :
      : "r"(regs)
      : "memory");
#else
  __builtin_unwind_init();
  uintptr_t regs[1] = {0};
#endif
  fn(ctx, regs);
  asm volatile("" : : "r"(regs) : "memory");  // keep regs alive across the call
}

void* current_fake_stack() {
#if defined(__SANITIZE_ADDRESS__)
  return __asan_get_current_fake_stack();
#else
  return nullptr;
#endif
}

bool fake_frame_of(void* fake_stack, uintptr_t word, const void** beg, const void** end) {
#if defined(__SANITIZE_ADDRESS__)
  if (fake_stack == nullptr) return false;
  void* b = nullptr;
  void* e = nullptr;
  if (__asan_addr_is_in_fake_stack(fake_stack, reinterpret_cast<void*>(word), &b, &e) == nullptr) {
    return false;
  }
  *beg = b;
  *end = e;
  return true;
#else
  (void)fake_stack;
  (void)word;
  (void)beg;
  (void)end;
  return false;
#endif
}

}  // namespace gcmap::gc::detail
