// ticks() on amd64: lfence; rdtsc, the same instructions as the C++
// harness's storm::ticks(), so both sides pay the same timer cost per op.
#include "textflag.h"

// func ticks() uint64
TEXT ·ticks(SB), NOSPLIT, $0-8
	LFENCE
	RDTSC
	SHLQ $32, DX
	ORQ  DX, AX
	MOVQ AX, ret+0(FP)
	RET
