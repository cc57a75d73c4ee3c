// Which vector instructions the processor offers, detected once when the library is loaded
// (ProcessorFeatures.c), before any thread can call a kernel: every kernel file picks its
// AVX2 (and F16C) version or its portable one by these. Private to CPruningKernels.
#ifndef BONSAI_PROCESSOR_FEATURES_H
#define BONSAI_PROCESSOR_FEATURES_H

#if defined(__x86_64__)
/// Nonzero when the processor has AVX2.
extern int bonsai_processor_has_avx2 __attribute__((visibility("hidden")));
/// Nonzero when the processor has AVX2 and F16C (half-precision conversions).
extern int bonsai_processor_has_avx2_f16c __attribute__((visibility("hidden")));
#endif

#endif
