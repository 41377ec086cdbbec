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
#include "conv.h"
#include "harness.h"
}

namespace
{

const char *status_name(conv_status st)
{
    switch (st) {
    case CONV_OK:
        return "OK";
    case CONV_INVALID:
        return "INVALID";
    case CONV_UNSUPPORTED:
        return "UNSUPPORTED";
    case CONV_NOMEM:
        return "NOMEM";
    case CONV_BACKEND:
        return "BACKEND";
    }
    return "ERROR";
}

struct Job {
    const conv_algo *algo;
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
    std::vector<float> x_, w_, b_, y_;
    conv_plan *plan_ = nullptr;
    conv_status st_ = CONV_OK;
    std::string why_;
    double plan_ms_ = 0;
};

void Runner::release()
{
    if (plan_) jobs[cur_].algo->destroy(plan_);
    plan_ = nullptr;
    cur_ = -1;
    /* swap with empties: clear() would keep the capacity */
    std::vector<float>().swap(x_);
    std::vector<float>().swap(w_);
    std::vector<float>().swap(b_);
    std::vector<float>().swap(y_);
}

void Runner::prepare(int id)
{
    if (id == cur_) return;
    release();
    cur_ = id;
    const Job &j = jobs[id];
    const conv_problem *p = &j.shape->p;
    char why[256] = "";
    why_.clear();
    if (j.shape->st != CONV_OK) {
        st_ = j.shape->st;
        why_ = j.shape->why;
        return;
    }
    st_ = j.algo->supports(p, why, sizeof why);
    if (st_ != CONV_OK) {
        why_ = why;
        return;
    }
    try {
        x_.assign(conv_x_elems(p), 0.0f);
        w_.assign(conv_w_elems(p), 0.0f);
        b_.assign(p->bias ? (size_t)p->oc : 0, 0.0f);
        y_.assign(conv_y_elems(p), NAN);
    } catch (const std::bad_alloc &) {
        st_ = CONV_NOMEM;
        why_ = "cannot allocate the problem's tensors";
        return;
    }
    float *b = p->bias ? b_.data() : nullptr;
    conv_fill_tensors(p, fill_, seed_, x_.data(), w_.data(), b);
    conv_ctx c = ctx_;
    c.why = why;
    c.why_len = sizeof why;
    conv_plan *pl = nullptr;
    double t0 = conv_now_ms();
    st_ = j.algo->plan(p, w_.data(), b, &c, &pl);
    plan_ms_ = conv_now_ms() - t0;
    if (st_ != CONV_OK) {
        why_ = std::string("plan: ") + (why[0] ? why : "no reason given");
        return; /* a failed plan() cleans up after itself */
    }
    plan_ = pl;
}

void Runner::fail(benchmark::State &state, conv_status st, const char *what,
                  const std::string &why)
{
    std::string msg = std::string(status_name(st)) + ": ";
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
    const conv_problem *p = &jobs[id].shape->p;
    conv_status st = CONV_OK;
    if (a->load_input && (st = a->load_input(plan_, x_.data())) != CONV_OK) {
        fail(state, st, "load_input", "failed");
        return;
    }
    for (auto _ : state) {
        st = a->execute(plan_, x_.data(), y_.data());
        if (st != CONV_OK) break;
    }
    if (st != CONV_OK) {
        fail(state, st, "execute", "failed");
        return;
    }
    if (a->store_output &&
        (st = a->store_output(plan_, y_.data())) != CONV_OK) {
        fail(state, st, "store_output", "failed");
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
    size_t ws = a->workspace_bytes(plan_);
    if (ws) /* a zero would only add a NaN% to --benchmark_repetitions' cv */
        state.counters["workspace"] =
            benchmark::Counter((double)ws, benchmark::Counter::kDefaults,
                               benchmark::Counter::kIs1024);
    const char *impl = a->impl ? a->impl(plan_) : nullptr;
    if (impl && impl[0]) state.SetLabel(impl);
}

} // namespace

extern "C" int conv_gbench_run(const conv_algo *const *algos, int nalgos,
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
            for (int a = 0; a < nalgos; a++)
                runner.jobs.push_back(Job{algos[a], &shapes->v[s]});
        for (size_t id = 0; id < runner.jobs.size(); id++) {
            const Job &j = runner.jobs[id];
            char desc[512];
            if (j.shape->st == CONV_OK)
                conv_desc_format(&j.shape->p, desc, sizeof desc);
            else
                std::snprintf(desc, sizeof desc, "%s", j.shape->text);
            std::string name = std::string(j.algo->name) + "/" + desc;
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
