// Detects the processor's vector instructions once, when the library is loaded; see
// ProcessorFeatures.h.
#include "ProcessorFeatures.h"

#if defined(__x86_64__)
int bonsai_processor_has_avx2 = 0;
int bonsai_processor_has_avx2_f16c = 0;

__attribute__((constructor)) static void detect_processor_features(void) {
  __builtin_cpu_init();
  bonsai_processor_has_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
  bonsai_processor_has_avx2_f16c =
      bonsai_processor_has_avx2 && __builtin_cpu_supports("f16c") ? 1 : 0;
}
#endif
