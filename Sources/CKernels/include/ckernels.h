#ifndef CKERNELS_H
#define CKERNELS_H
// Hand-vectorised kernels for quantised weights; see Sources/CKernels.
#endif
