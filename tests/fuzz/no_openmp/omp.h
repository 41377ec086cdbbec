/* The fuzz build is OpenMP-free (clang without libomp): env.c's call in
 * conv_set_threads, which no reader reaches, does nothing here, and the
 * option parser's default thread count is 1. */
#ifndef CONV_FUZZ_OMP_H
#define CONV_FUZZ_OMP_H
static inline void omp_set_num_threads(int n)
{
    (void)n;
}
static inline int omp_get_num_procs(void)
{
    return 1;
}
#endif
