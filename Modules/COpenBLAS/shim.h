// The CBLAS interface of OpenBLAS. Only Sources/Pruning/BLAS imports this module.
#include <cblas.h>

// LAPACK's Fortran entry points, which Debian's libopenblas exports without a lapacke.h:
// arguments by pointer, matrices column-major, `info` 0 on success.
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
