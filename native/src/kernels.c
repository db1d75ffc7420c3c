/* kernels.c: this instruction set's table of kernels (cnn_kernels, internal.h), which context.c gives a context. */
#include "isa.h"

const cnn_kernels CNN_ISA(cnn__kernels) = {
    .isa = CNN_ISA_CODE,
    .gemm = cnn__gemm_run,
    .conv2d_forward = cnn__conv2d_forward,
    .conv2d_backward_data = cnn__conv2d_backward_data,
    .conv2d_backward_filter = cnn__conv2d_backward_filter,
};
