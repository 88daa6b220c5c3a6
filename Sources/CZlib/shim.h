// zlib's init functions are macros (they pass the library version and the
// stream struct size), which Swift cannot import; these inline wrappers are.
#include <zlib.h>

static inline int czlib_inflateInit(z_streamp strm) {
    return inflateInit(strm);
}

static inline int czlib_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}

static inline int czlib_deflateInit(z_streamp strm, int level) {
    return deflateInit(strm, level);
}
