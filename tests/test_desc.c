/* The descriptor parser against hand-worked expectations (docs/design.md §2).
 */
#include <stdio.h>
#include <string.h>

#include "run/run.h"

/* n g ic ih iw oc oh ow kh kw sh sw pt pb pl pr dh dw is_1d */
typedef struct expect {
    const char *desc;
    int v[19];
} expect;

static const expect good[] = {
    /* h copied to w; PB derived from oh: (112-1)*2 - 224 + 7 - 3 = 2 */
    {"mb1ic3ih224oc64oh112kh7sh2ph3n\"conv1\"",
     {1, 1, 3, 224, 224, 64, 112, 112, 7, 7, 2, 2, 3, 2, 3, 2, 1, 1, 0}},
    {"g2mb8ic64ih56iw56oc128oh56ow56kh3kw3sh1sw1ph1pw1dh0dw0n\"res2a\"",
     {8, 2, 64, 56, 56, 128, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0}},
    /* 1D: w fields only */
    {"mb4ic16iw100oc32ow100kw5pw2",
     {4, 1, 16, 1, 100, 32, 1, 100, 1, 5, 1, 1, 0, 0, 2, 2, 1, 1, 1}},
    /* defaults: mb 2, g 1, no padding, oh from the formula */
    {"ic3ih5oc4kh3", {2, 1, 3, 5, 5, 4, 3, 3, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 0}},
    /* '_' separators, asymmetric derived padding */
    {"g1_mb1_ic2_ih3_iw5_oc1_oh3_ow3_kh3_kw3_sh2_sw2_ph2_pw1",
     {1, 1, 2, 3, 5, 1, 3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0}},
    /* oh given, ph absent: 'same' with an even kernel has PB = PT + 1 */
    {"mb1ic1ih4oc1oh4kh2",
     {1, 1, 1, 4, 4, 1, 4, 4, 2, 2, 1, 1, 0, 1, 0, 1, 1, 1, 0}},
    /* benchdnn dilation 3 is factor 4 */
    {"mb1ic1ih20oc1kh3dh3",
     {1, 1, 1, 20, 20, 1, 12, 12, 3, 3, 1, 1, 0, 0, 0, 0, 4, 4, 0}},
    /* PB = -1 with stride 2 is the same problem as PB = 0 */
    {"mb1ic1ih7oc1oh3kh2sh2ph0",
     {1, 1, 1, 7, 7, 1, 3, 3, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 0}},
    /* symmetric ph1, but the bottom row of padding lies past the last
     * window (oh 3 either way): PB 0, as the canonical form re-parses */
    {"mb1ic1ih6oc1kh3sh2ph1",
     {1, 1, 1, 6, 6, 1, 3, 3, 3, 3, 2, 2, 1, 0, 1, 0, 1, 1, 0}},
    /* depthwise */
    {"g32mb1ic32ih112oc32oh112kh3ph1",
     {1, 32, 32, 112, 112, 32, 112, 112, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0}},
};

static const struct {
    const char *desc, *names; /* the message must name this */
} bad[] = {
    {"ic3ih5oc4kh3xx2", "xx"},
    {"ic0ih5oc4kh3", "ic"},
    {"g3ic4ih5oc6kh3", "ic=4"},
    {"g2ic4ih5oc5kh3", "oc=5"},
    {"ic3ih5oc4kh9", "kh"},
    {"ic99999999999ih5oc1kh1", "ic"},
    {"ic3ih5kh3", "oc"},
    {"ic3oc3kh3", "ih"},
    {"ic3ih5oc4", "kh"},
    {"mb1ic3ih5oc4kh3n\"open", "n:"},
    {"ic3ih5oc4kh3oh2ph2", "oh"},
    {"ic-3ih5oc4kh3", "ic"},
    {"ic3ih5oc4kh3ic3", "ic"},
    {"", "ic"},
    {"ic3ih5oc4kh3sh0", "sh"},
    {"ic3ih5oc4kh3?", "'?'"},
    {"mb64ic4096ih4096oc4096kh1", "memory cap"},
    {"ic3ih5oc4kh", "kh"},
};

static int check_fields(const conv_problem *p, const int *v, const char *d)
{
    const int got[19] = {p->n,  p->g,  p->ic, p->ih, p->iw,   p->oc, p->oh,
                         p->ow, p->kh, p->kw, p->sh, p->sw,   p->pt, p->pb,
                         p->pl, p->pr, p->dh, p->dw, p->is_1d};
    static const char *names[19] = {"n",  "g",  "ic", "ih", "iw",   "oc", "oh",
                                    "ow", "kh", "kw", "sh", "sw",   "pt", "pb",
                                    "pl", "pr", "dh", "dw", "is_1d"};
    int bad_fields = 0;
    for (int i = 0; i < 19; i++)
        if (got[i] != v[i]) {
            printf("FAIL %s: %s = %d, expected %d\n", d, names[i], got[i],
                   v[i]);
            bad_fields++;
        }
    return bad_fields;
}

static int round_trip(const conv_problem *p)
{
    char canon[256], err[256];
    conv_problem q;
    conv_desc_format(p, canon, sizeof canon);
    if (conv_desc_parse(canon, 0, &q, err, sizeof err) != CONV_OK) {
        printf("FAIL round trip of %s: %s\n", canon, err);
        return 1;
    }
    q.n = p->n; /* the canonical form always carries mb; keep bias apart */
    q.bias = p->bias;
    if (memcmp(&q, p, offsetof(conv_problem, name)) != 0 ||
        strcmp(q.name, p->name) != 0) {
        printf("FAIL round trip of %s changed the problem\n", canon);
        return 1;
    }
    return 0;
}

int main(void)
{
    int fails = 0, checks = 0;
    char err[512];
    conv_problem p;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++, checks++) {
        memset(&p, 0, sizeof p);
        if (conv_desc_parse(good[i].desc, 1ull << 33, &p, err, sizeof err)) {
            printf("FAIL %s: refused: %s\n", good[i].desc, err);
            fails++;
            continue;
        }
        fails += check_fields(&p, good[i].v, good[i].desc) != 0;
        fails += round_trip(&p);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++, checks++) {
        err[0] = 0;
        conv_status st =
            conv_desc_parse(bad[i].desc, 1ull << 33, &p, err, sizeof err);
        if (st != CONV_INVALID || !strstr(err, bad[i].names)) {
            printf("FAIL '%s': status %d, message '%s' should name '%s'\n",
                   bad[i].desc, st, err, bad[i].names);
            fails++;
        }
    }
    checks++;
    if (conv_desc_parse("mb1ic3id16ih16iw16oc4kd3kh3kw3", 0, &p, err,
                        sizeof err) != CONV_UNSUPPORTED ||
        !strstr(err, "3D")) {
        printf("FAIL 3D descriptor not refused as unsupported: %s\n", err);
        fails++;
    }
    /* benchdnn's repeat suffix n"name*N": the count a network total needs. */
    static const struct {
        const char *desc;
        int count; /* 0: refused */
    } repeats[] = {
        {"ic3ih5oc4kh3n\"net:a*3\"", 3},
        {"ic3ih5oc4kh3n\"net:a\"", 1},
        {"ic3ih5oc4kh3", 1},
        {"ic3ih5oc4kh3n\"a*b\"", 1},
        {"ic3ih5oc4kh3n\"a*\"", 1},
        {"ic3ih5oc4kh3n\"x*2*12\"", 12},
        {"ic3ih5oc4kh3n\"a*0\"", 0},
        {"ic3ih5oc4kh3n\"a*1000000000\"", 0},
        {"mb1ic3id16ih16iw16oc4kd3kh3kw3n\"a*4\"", 1},
    };
    for (size_t i = 0; i < sizeof repeats / sizeof *repeats; i++, checks++) {
        conv_shape_list rl = {0};
        conv_status st =
            conv_shapes_add_desc(&rl, repeats[i].desc, 0, err, sizeof err);
        int got = st == CONV_OK ? rl.v[0].count : 0;
        if (got != repeats[i].count ||
            (!got && (st != CONV_INVALID || !strstr(err, "repeat count")))) {
            printf("FAIL %s: count %d (status %d, '%s'), expected %d\n",
                   repeats[i].desc, got, st, st ? err : "", repeats[i].count);
            fails++;
        }
        conv_shapes_free(&rl);
    }
    /* Every sweep problem is valid and survives its canonical form. */
    conv_shape_list l = {0};
    if (conv_shapes_sweep(&l, 2000, 42, 1ull << 30) != CONV_OK) return 1;
    for (int i = 0; i < l.n; i++, checks++) {
        if (conv_problem_check(&l.v[i].p, 0, err, sizeof err)) {
            printf("FAIL sweep problem %s: %s\n", l.v[i].text, err);
            fails++;
        }
        fails += round_trip(&l.v[i].p);
    }
    conv_shapes_free(&l);
    /* Every corner class is reached by a sweep as short as the test
     * suite's (150 problems), for each of its seeds: at least 1 in 30. */
    for (unsigned long long seed = 1; seed <= 3; seed++) {
        conv_shape_list c = {0};
        if (conv_shapes_sweep(&c, 150, seed, 1ull << 30) != CONV_OK) return 1;
        for (int k = 0; k < conv_sweep_class_count; k++, checks++) {
            int n = 0;
            for (int i = 0; i < c.n; i++)
                n += conv_sweep_classes[k].in(&c.v[i].p);
            if (n < 5) {
                printf("FAIL sweep seed %llu: %d problems of class %s\n", seed,
                       n, conv_sweep_classes[k].name);
                fails++;
            }
        }
        conv_shapes_free(&c);
    }
    printf("desc: %d passed, %d failed\n", checks - fails, fails);
    return fails != 0;
}
