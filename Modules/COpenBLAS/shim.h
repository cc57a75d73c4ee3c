// The CBLAS interface of OpenBLAS. Only Sources/Pruning/BLAS imports this module.
#include <cblas.h>
