/* Peak arithmetic throughput of this CPU, from first principles: register-only loops of independent
 * multiply-accumulate instructions (no memory traffic), one thread per core.  Built and run by
 * benchmarks/cpu_peak.py, which prints the table.
 *
 *   fp32_fma      vfmadd231ps ymm: 8 fp32 MAC per instruction (AVX2 + FMA)
 *   int8_avx2     vpmaddubsw + vpmaddwd + vpaddd: 32 u8 x s8 MAC per 3 instructions, exact int32 sums,
 *                 the sequence XNNPACK, oneDNN and ONNX Runtime use on CPUs without VNNI
 *   int8_avx2_madd16  vpmaddwd + vpaddd on int8 widened to int16: 16 MAC per 2 instructions, XNNPACK's
 *                 exact (non-saturating) int8 path on AVX2
 *   int8_vnni     vpdpbusd ymm (AVX-VNNI) or zmm (AVX512-VNNI): 32 / 64 MAC per instruction
 *   bf16_dot      vdpbf16ps zmm (AVX512-BF16): 32 bf16 MAC per instruction
 * Each line printed: name, threads, MAC per second of all threads together (per CPU second of each), or
 * "unsupported".
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ACC 12 /* independent accumulators: more than latency x ports of any of these instructions */

typedef double (*kernel_fn)(long iterations); /* returns MACs done */
static volatile float sink_f;
static volatile int sink_i;

__attribute__((target("avx2,fma"))) static double fp32_fma(long n) {
    __m256 acc[ACC];
    __m256 a = _mm256_set1_ps(1.0000001f), b = _mm256_set1_ps(0.9999999f);
    for (int i = 0; i < ACC; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long k = 0; k < n; k++) {
        _Pragma("GCC unroll 16") for (int i = 0; i < ACC; i++) acc[i] = _mm256_fmadd_ps(a, b, acc[i]);
        __asm__ volatile("" : "+x"(a)); /* keep the compiler from hoisting the loop body */
    }
    __m256 s = acc[0];
    for (int i = 1; i < ACC; i++) s = _mm256_add_ps(s, acc[i]);
    sink_f = _mm256_cvtss_f32(s);
    return (double)n * ACC * 8;
}

__attribute__((target("avx2"))) static double int8_avx2(long n) {
    __m256i acc[ACC];
    __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2), ones = _mm256_set1_epi16(1);
    for (int i = 0; i < ACC; i++) acc[i] = _mm256_set1_epi32(i);
    for (long k = 0; k < n; k++) {
        _Pragma("GCC unroll 16") for (int i = 0; i < ACC; i++) {
            acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), ones));
            __asm__ volatile("" : "+x"(a)); /* the products do not depend on acc: keep them from being shared */
        }
    }
    __m256i s = acc[0];
    for (int i = 1; i < ACC; i++) s = _mm256_add_epi32(s, acc[i]);
    sink_i = _mm256_extract_epi32(s, 0);
    return (double)n * ACC * 32;
}

__attribute__((target("avx2"))) static double int8_avx2_madd16(long n) {
    __m256i acc[ACC];
    __m256i a = _mm256_set1_epi16(3), b = _mm256_set1_epi16(-2);
    for (int i = 0; i < ACC; i++) acc[i] = _mm256_set1_epi32(i);
    for (long k = 0; k < n; k++) {
        _Pragma("GCC unroll 16") for (int i = 0; i < ACC; i++) {
            acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(a, b));
            __asm__ volatile("" : "+x"(a));
        }
    }
    __m256i s = acc[0];
    for (int i = 1; i < ACC; i++) s = _mm256_add_epi32(s, acc[i]);
    sink_i = _mm256_extract_epi32(s, 0);
    return (double)n * ACC * 16;
}

__attribute__((target("avx2,avxvnni"))) static double int8_avx_vnni(long n) {
    __m256i acc[ACC];
    __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);
    for (int i = 0; i < ACC; i++) acc[i] = _mm256_set1_epi32(i);
    for (long k = 0; k < n; k++) {
        _Pragma("GCC unroll 16") for (int i = 0; i < ACC; i++) acc[i] = _mm256_dpbusd_avx_epi32(acc[i], a, b);
        __asm__ volatile("" : "+x"(a));
    }
    __m256i s = acc[0];
    for (int i = 1; i < ACC; i++) s = _mm256_add_epi32(s, acc[i]);
    sink_i = _mm256_extract_epi32(s, 0);
    return (double)n * ACC * 32;
}

__attribute__((target("avx512f,avx512vnni"))) static double int8_avx512_vnni(long n) {
    __m512i acc[ACC];
    __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
    for (int i = 0; i < ACC; i++) acc[i] = _mm512_set1_epi32(i);
    for (long k = 0; k < n; k++) {
        _Pragma("GCC unroll 16") for (int i = 0; i < ACC; i++) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
        __asm__ volatile("" : "+v"(a));
    }
    __m512i s = acc[0];
    for (int i = 1; i < ACC; i++) s = _mm512_add_epi32(s, acc[i]);
    sink_i = _mm512_reduce_add_epi32(s);
    return (double)n * ACC * 64;
}

__attribute__((target("avx512f,avx512bf16"))) static double bf16_dot(long n) {
    __m512 acc[ACC];
    __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3f80);
    for (int i = 0; i < ACC; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long k = 0; k < n; k++) {
        _Pragma("GCC unroll 16") for (int i = 0; i < ACC; i++) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
        __asm__ volatile("" : "+v"(a));
    }
    __m512 s = acc[0];
    for (int i = 1; i < ACC; i++) s = _mm512_add_ps(s, acc[i]);
    sink_f = _mm512_reduce_add_ps(s);
    return (double)n * ACC * 32;
}

struct job { kernel_fn fn; long n; double macs, cpu_s; };

static double thread_cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void *run_job(void *p) {
    struct job *j = p;
    double t = thread_cpu();
    j->macs = j->fn(j->n);
    j->cpu_s = thread_cpu() - t;
    return NULL;
}

/* MAC/s of `threads` threads each running fn for about `seconds` of CPU time (the median of `repeats`).
 * Each thread's MACs are divided by its own CPU time (CLOCK_THREAD_CPUTIME_ID), not by wall time: on a
 * shared machine the wall clock measures the scheduler's share, the thread's CPU time what a core does. */
static double measure(kernel_fn fn, int threads, double seconds, int repeats) {
    long n = 1000;
    for (;;) { /* calibrate n on one thread */
        double t = thread_cpu();
        fn(n);
        t = thread_cpu() - t;
        if (t > seconds / 4) { n = (long)(n * seconds / t); break; }
        n *= 4;
    }
    double rates[16];
    for (int r = 0; r < repeats; r++) {
        pthread_t tid[64];
        struct job jobs[64];
        for (int i = 0; i < threads; i++) {
            jobs[i] = (struct job){fn, n, 0, 0};
            pthread_create(&tid[i], NULL, run_job, &jobs[i]);
        }
        rates[r] = 0;
        for (int i = 0; i < threads; i++) { pthread_join(tid[i], NULL); rates[r] += jobs[i].macs / jobs[i].cpu_s; }
    }
    for (int i = 0; i < repeats; i++) /* sort for the median */
        for (int k = i + 1; k < repeats; k++)
            if (rates[k] < rates[i]) { double x = rates[i]; rates[i] = rates[k]; rates[k] = x; }
    return rates[repeats / 2];
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    double seconds = argc > 2 ? atof(argv[2]) : 0.5;
    int repeats = argc > 3 ? atoi(argv[3]) : 5;
    __builtin_cpu_init();
    struct { const char *name; kernel_fn fn; int ok; } k[] = {
        {"fp32_fma", fp32_fma, __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")},
        {"int8_avx2", int8_avx2, __builtin_cpu_supports("avx2")},
        {"int8_avx2_madd16", int8_avx2_madd16, __builtin_cpu_supports("avx2")},
        {"int8_avx_vnni", int8_avx_vnni, __builtin_cpu_supports("avxvnni")},
        {"int8_avx512_vnni", int8_avx512_vnni, __builtin_cpu_supports("avx512vnni")},
        {"bf16_avx512", bf16_dot, __builtin_cpu_supports("avx512bf16")},
    };
    for (unsigned i = 0; i < sizeof k / sizeof k[0]; i++) {
        if (k[i].ok) printf("%s %d %.6e\n", k[i].name, threads, measure(k[i].fn, threads, seconds, repeats));
        else printf("%s %d unsupported\n", k[i].name, threads);
        fflush(stdout);
    }
    return 0;
}
