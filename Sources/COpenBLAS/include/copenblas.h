// OpenBLAS, opened on first use rather than linked.
//
// A linked OpenBLAS starts one thread per core in its constructor, before main, and those
// threads busy-wait (sched_yield) for about 2^28 cycles: during a short command such as
// `generate` they took a third of the CPU time from the prompt. The engine never uses that pool
// (it splits products over its own threads and calls OpenBLAS single-threaded), so the library
// is opened only when a model first needs it, with OPENBLAS_NUM_THREADS=1 so no pool is started.
#ifndef COPENBLAS_H
#define COPENBLAS_H
#include <stddef.h>

/// Opens OpenBLAS once. Returns 1 when it is usable; otherwise 0 and `why` says what failed.
int copenblas_open(const char **why);

/// Row-major C[m×n] = alpha·op(A)·op(B) + beta·C (cblas_sgemm). copenblas_open must have succeeded.
void copenblas_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc);

/// openblas_get_config() and openblas_get_corename(), or NULL before a successful open.
const char *copenblas_config(void);
const char *copenblas_corename(void);

#endif
