#include "cnn_native.h"
#include <stddef.h>

int cnn_version(int *major, int *minor) {
    if (major == NULL || minor == NULL) return CNN_E_NULL_POINTER;
    *major = CNN_NATIVE_VERSION_MAJOR;
    *minor = CNN_NATIVE_VERSION_MINOR;
    return CNN_OK;
}
