// The one pass in which `bonsai` writes a tensor's output bytes: the copy (masked or not) that
// also counts what the report needs — the source's nonzero elements and a bit per written
// nonzero — so that no pass of its own reads the tensor again. Each kernel has an AVX2
// version, chosen at run time when the processor has AVX2, and a portable one.
#ifndef BONSAI_COUNTING_COPY_H
#define BONSAI_COUNTING_COPY_H

#include <stddef.h>
#include <stdint.h>

/// Reads `count` elements of `element_size` bytes (4, or 2 for F16 and BF16) from `source`
/// (any alignment) and
///   - writes each to `destination` (when not NULL; any alignment), as +0 when its bit in
///     `kept` is clear (when `kept` is not NULL; otherwise every element is kept);
///   - sets bit i of `written_nonzero` (when not NULL) when element i as written is nonzero,
///     and clears it otherwise; the bits of its last word past `count` are cleared;
///   - adds the number of nonzero elements of `source` to counts[0], and of the elements as
///     written to counts[1].
/// An element is zero when all its bits but the sign bit (its highest) are clear. `kept` and
/// `written_nonzero` hold (count + 63) / 64 words: element i is bit i % 64 of word i / 64.
void bonsai_counting_copy(size_t element_size, const void *source, void *destination,
                          size_t count, const uint64_t *kept, uint64_t *written_nonzero,
                          uint64_t counts[2]);

/// The portable version of the kernel above, whatever the processor: the tests compare it
/// with the dispatched one, which on an AVX2 machine is the vector version.
void bonsai_counting_copy_portable(size_t element_size, const void *source, void *destination,
                                   size_t count, const uint64_t *kept,
                                   uint64_t *written_nonzero, uint64_t counts[2]);

#endif
