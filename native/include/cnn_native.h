/* cnn_native.h: the C ABI of libcnnnative, the native device of CnnNative.
 *
 * Every function returns an int status (CNN_OK or a CNN_E_* code) and never aborts,
 * exits or prints. Sizes are explicit element counts; buffers are float32, row-major, NCHW.
 */
#ifndef CNN_NATIVE_H
#define CNN_NATIVE_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define CNN_API __declspec(dllexport)
#else
#define CNN_API __attribute__((visibility("default")))
#endif

/* Version of the ABI; the C# side refuses a library whose major version differs from its own. */
#define CNN_NATIVE_VERSION_MAJOR 0
#define CNN_NATIVE_VERSION_MINOR 1

/* Status codes. */
#define CNN_OK 0
#define CNN_E_NULL_POINTER 1      /* a required pointer argument was NULL */
#define CNN_E_INVALID_SIZE 2      /* a size was zero, negative or inconsistent */
#define CNN_E_BUFFER_TOO_SMALL 3  /* a buffer's element count is smaller than the op needs */
#define CNN_E_UNSUPPORTED_CPU 4   /* the processor lacks AVX2/FMA */
#define CNN_E_OUT_OF_MEMORY 5     /* a workspace allocation failed */

/* Writes the library's major and minor version. */
CNN_API int cnn_version(int *major, int *minor);

#ifdef __cplusplus
}
#endif
#endif /* CNN_NATIVE_H */
