/* convbench gbench: each (algorithm, problem) pair as a Google Benchmark.
 * The library calls a benchmark's function several times (iteration-count
 * calibration, then each repetition), so the plan is built on the first call
 * and kept until another benchmark runs: plan() stays outside every timed
 * loop and happens once per benchmark, and only one plan is alive at a time
 * (a large Toeplitz matrix is freed before the next problem is planned).
 * --benchmark_enable_random_interleaving therefore re-plans at each switch. */
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <new>
#include <string>
#include <vector>

extern "C" {
#include "run/run.h"
}

namespace
{

struct Job {
    const conv_algo *algo;
    conv_dir dir;
    const conv_shape *shape;
};

class Runner
{
  public:
    Runner(const conv_ctx *ctx, conv_fill fill, unsigned long long seed)
        : ctx_(*ctx), fill_(fill), seed_(seed)
    {
    }
    ~Runner()
    {
        release();
    }
    Runner(const Runner &) = delete;
    Runner &operator=(const Runner &) = delete;

    void run(benchmark::State &state, int id);
    void release();

    std::vector<Job> jobs;
    bool had_error = false; /* a plan or execute failed (not NOMEM/UNSUP.) */

  private:
    void prepare(int id);
    void fail(benchmark::State &state, conv_status st, const char *what,
              const std::string &why);

    conv_ctx ctx_;
    conv_fill fill_;
    unsigned long long seed_;
    int cur_ = -1; /* the job whose tensors and plan are live */
    std::vector<float> t_[CONV_MAX_TENSORS]; /* by role of conv_dirs */
    conv_problem p_ = {};                    /* the direction's problem */
    conv_bound bound_ = {};
    bool planned_ = false;
    conv_status st_ = CONV_OK;
    std::string why_;
    double plan_ms_ = 0;
};

void Runner::release()
{
    if (planned_) conv_bound_destroy(&bound_);
    planned_ = false;
    cur_ = -1;
    /* swap with empties: clear() would keep the capacity */
    for (auto &t : t_) std::vector<float>().swap(t);
}

/* The tensors of the job's direction by role, inputs filled. */
void Runner::prepare(int id)
{
    if (id == cur_) return;
    release();
    cur_ = id;
    const Job &j = jobs[id];
    const conv_dir dir = j.dir;
    p_ = conv_dir_problem(&j.shape->p, dir);
    const conv_problem *p = &p_;
    char why[256] = "";
    why_.clear();
    if (j.shape->st != CONV_OK) {
        st_ = j.shape->st;
        why_ = j.shape->why;
        return;
    }
    st_ = conv_supports(j.algo, p, dir, why, sizeof why);
    if (st_ != CONV_OK) {
        why_ = why;
        return;
    }
    float *t[CONV_MAX_TENSORS] = {};
    try {
        for (int k = 0; k < conv_dirs[dir].ntensors; k++) {
            if (!conv_role_present(p, dir, k)) continue;
            const conv_role &r = conv_dirs[dir].t[k];
            t_[k].assign(conv_tensor_elems(p, r.shape), r.output ? NAN : 0.0f);
            t[k] = t_[k].data();
        }
    } catch (const std::bad_alloc &) {
        st_ = CONV_NOMEM;
        why_ = "cannot allocate the problem's tensors";
        return;
    }
    conv_fill_inputs(p, dir, fill_, seed_, t);
    conv_ctx c = ctx_;
    c.why = why;
    c.why_len = sizeof why;
    double t0 = conv_now_ms();
    st_ = conv_bound_plan(&bound_, j.algo, dir, p, t, &c);
    plan_ms_ = conv_now_ms() - t0;
    planned_ = true; /* destroy is NULL-safe: a failed plan() cleans up */
    if (st_ != CONV_OK)
        why_ = std::string("plan: ") + (why[0] ? why : "no reason given");
}

void Runner::fail(benchmark::State &state, conv_status st, const char *what,
                  const std::string &why)
{
    std::string msg = std::string(conv_status_name(st)) + ": ";
    if (what) msg += std::string(what) + ": ";
    msg += why;
    state.SkipWithError(msg.c_str());
    if (st != CONV_NOMEM && st != CONV_UNSUPPORTED) had_error = true;
}

void Runner::run(benchmark::State &state, int id)
{
    prepare(id);
    if (st_ != CONV_OK) {
        fail(state, st_, nullptr, why_);
        return;
    }
    const conv_algo *a = jobs[id].algo;
    const conv_problem *p = &p_;
    /* One whole run first (load_input, execute, store_output), so that
     * the loop times execute() alone, as the harness's timing does. */
    const char *step;
    conv_status st = conv_bound_run(&bound_, &step);
    if (st != CONV_OK) {
        fail(state, st, step, "failed");
        return;
    }
    for (auto _ : state) {
        st = conv_bound_execute(&bound_);
        if (st != CONV_OK) break;
    }
    if (st != CONV_OK) {
        fail(state, st, "execute", "failed");
        return;
    }
    /* GFLOPs of one execute: the library multiplies by the iteration count
     * and divides by the elapsed time, so the counter reads GFLOP/s as the
     * CSV's gflops column does (kIsRate alone would divide one execute's
     * count by the whole loop's time). */
    state.counters["GFLOP/s"] =
        benchmark::Counter(1e-9 * (double)conv_flops(p),
                           benchmark::Counter::kIsIterationInvariantRate);
    state.counters["plan_ms"] = plan_ms_;
    size_t ws = a->workspace_bytes(bound_.pl);
    if (ws) /* a zero would only add a NaN% to --benchmark_repetitions' cv */
        state.counters["workspace"] =
            benchmark::Counter((double)ws, benchmark::Counter::kDefaults,
                               benchmark::Counter::kIs1024);
    if (a->impl) state.SetLabel(conv_bound_impl(&bound_));
}

} // namespace

extern "C" int conv_gbench_run(const conv_algo *const *algos, int nalgos,
                               const conv_dir *dirs, int ndirs,
                               const conv_shape_list *shapes,
                               const conv_ctx *ctx, conv_fill fill,
                               unsigned long long seed, int argc, char **argv)
{
    static char prog[] = "convbench gbench";
    std::vector<char *> args;
    args.push_back(prog);
    for (int i = 0; i < argc; i++) args.push_back(argv[i]);
    args.push_back(nullptr);
    int nargs = argc + 1;

    /* Before Initialize, so --benchmark_time_unit still overrides it, and
     * before registering, since a benchmark takes the default when built. */
    benchmark::SetDefaultTimeUnit(benchmark::kMillisecond);
    benchmark::Initialize(&nargs, args.data());
    if (nargs > 1) {
        benchmark::ReportUnrecognizedArguments(nargs, args.data());
        std::fprintf(stderr, "convbench gbench: only Google Benchmark flags "
                             "(--benchmark_*) may follow `--`\n");
        return CONV_EXIT_USAGE;
    }

    if (ctx->threads > 0) conv_set_threads(ctx->threads);
    benchmark::AddCustomContext("convbench_threads",
                                std::to_string(ctx->threads));
    benchmark::AddCustomContext("convbench_blas_core", conv_blas_core());
    benchmark::AddCustomContext("convbench_fill",
                                fill == CONV_FILL_INT ? "int" : "real");
    benchmark::AddCustomContext("convbench_seed", std::to_string(seed));

    int rc = CONV_EXIT_OK;
    {
        Runner runner(ctx, fill, seed);
        /* problem-major order: each layer's algorithms print side by side */
        for (int s = 0; s < shapes->n; s++)
            for (int d = 0; d < ndirs; d++)
                for (int a = 0; a < nalgos; a++)
                    runner.jobs.push_back(
                        Job{algos[a], dirs[d], &shapes->v[s]});
        for (size_t id = 0; id < runner.jobs.size(); id++) {
            const Job &j = runner.jobs[id];
            char desc[512];
            if (j.shape->st == CONV_OK)
                conv_desc_format(&j.shape->p, desc, sizeof desc);
            else
                std::snprintf(desc, sizeof desc, "%s", j.shape->text);
            /* algo/desc for the forward, algo/bwd_d/desc and so on */
            std::string name = std::string(j.algo->name) + "/";
            if (j.dir != CONV_DIR_FWD)
                name += std::string(conv_dirs[j.dir].name) + "/";
            name += desc;
            Runner *r = &runner;
            int i = (int)id;
            benchmark::RegisterBenchmark(
                name.c_str(),
                [r, i](benchmark::State &state) { r->run(state, i); })
                ->UseRealTime();
        }
        size_t matched = benchmark::RunSpecifiedBenchmarks();
        benchmark::ClearRegisteredBenchmarks();
        if (matched == 0) {
            std::fprintf(stderr, "convbench gbench: no benchmark matched\n");
            rc = CONV_EXIT_USAGE;
        } else if (runner.had_error) {
            rc = CONV_EXIT_FAIL;
        }
    }
    benchmark::Shutdown();
    return rc;
}
