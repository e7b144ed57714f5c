/* The core benchmark's compute kernels (kernels.c). */
#ifndef KERNELS_H
#define KERNELS_H

#include <stdint.h>

struct kernel { const char *name; uint32_t (*run)(void); };
#define KERNELS 7
extern const struct kernel kernels[KERNELS];

#endif
