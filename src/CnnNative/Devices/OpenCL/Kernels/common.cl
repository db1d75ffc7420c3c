// Shared by every kernel file; the host prepends it to the others and compiles them as one program per
// device (pocl compiles slowly, so one build serves all ops).
//
// Tuning defines, chosen by the host per device type (OpenClTuning.cs):
//   GEMM_TM, GEMM_TN  rows and columns of C per work-item in the CPU-shaped GEMM; GEMM_TN is also the
//                     vector width (8 or 16), the shape that lets a CPU compiler keep the accumulators in
//                     SIMD registers.
//   LG_TILE, LG_WPT   tile side of the local-memory GEMM (GPU-shaped) and outputs per work-item per side.

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define VECT CAT(float, GEMM_TN)
#define VLOAD CAT(vload, GEMM_TN)
#define VSTORE CAT(vstore, GEMM_TN)

// A GEMM_TN-wide vector type aligned like a float: dereferencing it compiles to one unaligned vector load
// (vmovups), where pocl's vloadN is often split into scalar loads and re-assembled, a 10x loss in the
// GEMM's inner loop. Clang (pocl's and every other OpenCL compiler we target) honours the reduced alignment.
typedef float VECT_U __attribute__((ext_vector_type(GEMM_TN), aligned(4)));
#define LOADU(p) (*(const __global VECT_U*)(p))
