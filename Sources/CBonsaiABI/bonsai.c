// The parts of the C interface that are C: the version string, and checks that the types
// the Swift implementation (Sources/BonsaiCInterface) fills have the layout the header
// promises on this platform.
#include "bonsai.h"

_Static_assert(sizeof(bonsai_status) == 4, "enums are 32-bit");
_Static_assert(sizeof(bonsai_error) == 4 + BONSAI_MESSAGE_CAPACITY, "bonsai_error layout");
_Static_assert(sizeof(bonsai_result) == 16, "bonsai_result layout");

const char *bonsai_version(void) { return BONSAI_VERSION; }
