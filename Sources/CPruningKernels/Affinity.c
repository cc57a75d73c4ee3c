// The processors in the calling process's CPU affinity mask. `sched_getaffinity` and the
// CPU_* macros need _GNU_SOURCE, which the Swift Glibc module does not define, so the call
// lives here; see include/PruningKernels.h.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include "PruningKernels.h"

int bonsai_affinity_count(void) {
  // The mask must be as long as the kernel's: grow it until the call accepts it.
  for (int processors = 1024; processors <= (1 << 20); processors *= 4) {
    cpu_set_t *mask = CPU_ALLOC(processors);
    if (mask == NULL) return -1;
    size_t size = CPU_ALLOC_SIZE(processors);
    CPU_ZERO_S(size, mask);
    int status = sched_getaffinity(0, size, mask);
    int count = status == 0 ? CPU_COUNT_S(size, mask) : -1;
    int error = errno;
    CPU_FREE(mask);
    if (status == 0) return count;
    if (error != EINVAL) return -1;
  }
  return -1;
}
