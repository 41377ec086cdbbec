/* The fuzz build is OpenMP-free (clang without libomp): env.c's one
 * OpenMP call, in conv_set_threads, which no reader reaches, does nothing
 * here. */
#ifndef CONV_FUZZ_OMP_H
#define CONV_FUZZ_OMP_H
static inline void omp_set_num_threads(int n)
{
    (void)n;
}
#endif
