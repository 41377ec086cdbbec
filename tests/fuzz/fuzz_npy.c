/* libFuzzer target: the .npy reader (harness/out/npy.c): conv_npy_header and
 * conv_npy_parse on the input bytes, conv_npy_read on them as a file.
 * Invariants: a refusal is CONV_INVALID with a message, the same from the
 * file reader as from the parser; an accepted image's header agrees with
 * its data size (the bytes after the header, found here from the preamble
 * alone, are exactly 4 x the product of its dims) and the floats are those
 * bytes; another shape than the header's is refused; conv_npy_write of the
 * accepted data, read back, gives the same bytes. */
#include <stdint.h>
#include <unistd.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[4096], in_path[4200], out_path[4200];

static void remove_dir(void)
{
    unlink(in_path);
    unlink(out_path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* Two small files per input: in memory when possible (on this VM's
     * disk-backed /tmp the file system took 100 times the parsing). */
    const char *t = getenv("TMPDIR");
    if (!t || !*t) t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/conv_fuzz_npy.XXXXXX", t);
    if (!mkdtemp(dir)) {
        perror("fuzz_npy: mkdtemp");
        exit(1);
    }
    snprintf(in_path, sizeof in_path, "%s/in.npy", dir);
    snprintf(out_path, sizeof out_path, "%s/out.npy", dir);
    atexit(remove_dir);
    return 0;
}

/* Where the data starts, from the preamble alone (the header accepted). */
static size_t data_start(const uint8_t *b)
{
    if (b[6] == 1) return 10 + (b[8] | (size_t)b[9] << 8);
    return 12 + (b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 |
                 (size_t)b[11] << 24);
}

/* The input through conv_npy_read: what the parser said, from a file. */
static void check_file(const uint8_t *data, size_t size, int nd,
                       const size_t *dims, conv_status want, const float *v)
{
    FILE *f = fopen(in_path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        conv_fuzz_fail("cannot write %s", in_path);
    char err[512] = "";
    float *w = NULL;
    conv_status st = conv_npy_read(in_path, nd, dims, &w, err, sizeof err);
    if (st != want)
        conv_fuzz_fail("conv_npy_read says %d (%s), conv_npy_parse %d", (int)st,
                       err, (int)want);
    if (st != CONV_OK) {
        conv_fuzz_refusal(st, false, err, "conv_npy_read");
        if (w) conv_fuzz_fail("conv_npy_read refused but returned data");
        return;
    }
    size_t count = 1;
    for (int i = 0; i < nd; i++) count *= dims[i];
    if (memcmp(v, w, count * sizeof *v))
        conv_fuzz_fail("conv_npy_read and conv_npy_parse read other floats");
    free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    int nd = 1;
    size_t dims[CONV_NPY_MAX_DIMS + 1] = {1}, off;
    conv_status hs =
        conv_npy_header(data, size, &nd, dims, &off, err, sizeof err);
    if (hs != CONV_OK) {
        conv_fuzz_refusal(hs, false, err, "conv_npy_header");
        nd = 1; /* any shape: parse must refuse the header too */
        dims[0] = 1;
    }
    float *v = NULL;
    err[0] = 0;
    conv_status ps = conv_npy_parse(data, size, nd, dims, &v, err, sizeof err);
    if (hs != CONV_OK && ps == CONV_OK)
        conv_fuzz_fail("header refused, whole image accepted");
    check_file(data, size, nd, dims, ps, v);
    if (ps != CONV_OK) {
        conv_fuzz_refusal(ps, false, err, "conv_npy_parse");
        if (v) conv_fuzz_fail("conv_npy_parse refused but returned data");
        return 0;
    }

    /* The header agrees with the data size. */
    size_t start = data_start(data), count = 1, bytes;
    bool over = false, empty = false;
    for (int i = 0; i < nd; i++) {
        over |= __builtin_mul_overflow(count, dims[i], &count);
        empty |= dims[i] == 0;
    }
    if (empty)
        count = 0; /* whatever the other axes say */
    else if (over)
        conv_fuzz_fail("accepted a shape of over 2^64 elements");
    if (__builtin_mul_overflow(count, sizeof(float), &bytes))
        conv_fuzz_fail("accepted a shape of over 2^64 bytes");
    if (start != off || size < start || size - start != bytes)
        conv_fuzz_fail("accepted %zu bytes after a %zu-byte header whose "
                       "shape holds %zu floats",
                       size - off, off, count);
    if (memcmp(v, data + start, bytes))
        conv_fuzz_fail("the floats are not the data bytes");

    /* Other shapes are refused: one axis more, and the first one larger. */
    float *x = NULL;
    if (nd < CONV_NPY_MAX_DIMS) {
        dims[nd] = 1;
        if (conv_npy_parse(data, size, nd + 1, dims, &x, err, sizeof err) ==
            CONV_OK)
            conv_fuzz_fail("accepted with an axis of 1 more than the header");
    }
    if (nd > 0) {
        dims[0]++;
        if (conv_npy_parse(data, size, nd, dims, &x, err, sizeof err) ==
            CONV_OK)
            conv_fuzz_fail("accepted with a first axis the header lacks");
        dims[0]--;
    }
    free(x);

    /* conv_npy_write, then read: the same bytes. */
    if (conv_npy_write(out_path, nd, dims, v, err, sizeof err) != CONV_OK)
        conv_fuzz_fail("conv_npy_write of accepted data: %s", err);
    float *w = NULL;
    if (conv_npy_read(out_path, nd, dims, &w, err, sizeof err) != CONV_OK)
        conv_fuzz_fail("what conv_npy_write wrote is refused: %s", err);
    if (memcmp(v, w, bytes))
        conv_fuzz_fail("write then read changed the floats");
    free(w);
    free(v);
    return 0;
}
