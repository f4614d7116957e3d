/* Shared bits of the verifier corpus C cases. */
#ifndef CHAINLAB_CASE_H
#define CHAINLAB_CASE_H
#include "fixture.h"

char LICENSE[] SEC("license") = "GPL";

/* Keep a value opaque to the compiler (it cannot fold checks away). */
#define OPAQUE(x) ({ typeof(x) __v = (x); asm volatile("" : "+r"(__v)); __v; })

#endif
