/* --resume (docs/design.md §15): a verify or bench run continues the CSV an
 * interrupted run of the same options left. The rows it holds are kept,
 * byte for byte, and skipped; the rest are run and appended, so the
 * result has the rows of one uninterrupted run. The options that define
 * the rows (conv_meta_row_keys: algorithms, directions, the problem list,
 * fill, seed, threads, build) and the shard must be those of the CSV's
 * .meta.json; anything else is refused before a row runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/run.h"

static int refuse(const char *path, const char *fmt, const char *a,
                  const char *b, const char *c)
{
    fprintf(stderr, "convbench: --resume %s: ", path);
    fprintf(stderr, fmt, a, b, c);
    fputc('\n', stderr);
    return CONV_EXIT_USAGE;
}

/* The meta this run would write, read back: the same formatting as the
 * CSV's, so members compare as text. */
static int this_run(const char *path, const conv_meta_args *m, conv_meta *mine)
{
    char tmp[4200], err[600];
    snprintf(tmp, sizeof tmp, "%s.resumeXXXXXX", path);
    int fd = conv_mkstemp(tmp);
    if (fd < 0) return refuse(path, "cannot create %s%s%s", tmp, "", "");
    close(fd);
    conv_status st = conv_meta_write(tmp, m, err, sizeof err);
    if (!st) st = conv_meta_read(tmp, mine, err, sizeof err);
    unlink(tmp);
    snprintf(tmp + strlen(tmp), sizeof tmp - strlen(tmp), ".meta.json");
    unlink(tmp);
    return st ? refuse(path, "%s%s%s", err, "", "") : 0;
}

/* Every member that defines the rows, and the shard, as in the CSV's. */
static int same_rows(const char *path, const conv_meta *old,
                     const conv_meta *mine)
{
    for (int k = 0; k <= conv_meta_row_key_count; k++) {
        const char *key =
            k < conv_meta_row_key_count ? conv_meta_row_keys[k] : "shard";
        const char *a = conv_meta_get(old, key, NULL),
                   *b = conv_meta_get(mine, key, NULL);
        if (!a)
            return refuse(path,
                          "its .meta.json has no \"%s\": not the CSV of "
                          "a convbench run that can be resumed%s%s",
                          key, "", "");
        if (strcmp(a, b ? b : ""))
            return refuse(path,
                          "%s differ: the CSV's are '%s', this run's '%s'", key,
                          a, b ? b : "");
    }
    return 0;
}

static bool same_header(const conv_csv_file *f)
{
    if (f->ncols != CONV_NCOLS) return false;
    for (int j = 0; j < f->ncols; j++)
        if (strcmp(f->header[j], conv_col_names[j])) return false;
    return true;
}

int conv_resume_open(conv_resume *rs, const char *path, const conv_meta_args *m)
{
    static const conv_col req[] = {CONV_COL_ALGO, CONV_COL_DIR, CONV_COL_DESC,
                                   CONV_COL_STATUS};
    char err[600];
    conv_meta old = {0}, mine = {0};
    bool missing;
    size_t n;
    int rc = 0;
    memset(rs, 0, sizeof *rs);
    if (access(path, F_OK) != 0) return 0; /* nothing yet: a fresh start */
    if (conv_csv_read(path, req, 4, &rs->f, err, sizeof err) ||
        conv_meta_read(path, &old, err, sizeof err)) {
        rc = refuse(path, "not a convbench CSV: %s%s%s", err, "", "");
        goto cleanup;
    }
    if (!old.found) {
        rc = refuse(path, "no %s.meta.json: not the CSV of a convbench run%s",
                    path, "", "");
        goto cleanup;
    }
    if (!same_header(&rs->f)) {
        rc = refuse(path,
                    "its columns are not this convbench's (another "
                    "version's CSV)%s%s%s",
                    "", "", "");
        goto cleanup;
    }
    if ((rc = this_run(path, m, &mine)) || (rc = same_rows(path, &old, &mine)))
        goto cleanup;
    if (conv_file_read(path, &rs->text, &n, &missing, err, sizeof err)) {
        rc = refuse(path, "%s%s%s", err, "", "");
        goto cleanup;
    }
    rs->on = true;
    for (int i = 0; i < rs->f.nrows; i++) {
        const int s = conv_row_status_parse(
            conv_csv_get(&rs->f, &rs->f.rows[i], CONV_COL_STATUS));
        if (s >= 0) rs->counts[s]++;
    }
cleanup:
    conv_meta_free(&old);
    conv_meta_free(&mine);
    if (rc) conv_resume_free(rs);
    return rc;
}

bool conv_resume_has(const conv_resume *rs, const conv_row *r)
{
    for (int i = 0; rs->on && i < rs->f.nrows; i++) {
        const conv_csv_rec *c = &rs->f.rows[i];
        if (!strcmp(conv_csv_get(&rs->f, c, CONV_COL_ALGO), r->algo) &&
            !strcmp(conv_csv_get(&rs->f, c, CONV_COL_DIR),
                    conv_dirs[r->dir].name) &&
            !strcmp(conv_csv_get(&rs->f, c, CONV_COL_DESC), r->desc))
            return true;
    }
    return false;
}

int conv_resume_copy(const conv_resume *rs, FILE *f)
{
    if (!rs->on) return 0;
    const char *body = strchr(rs->text, '\n');
    if (!body) return 0; /* a header alone */
    body++;
    const size_t len = strlen(body);
    if (fwrite(body, 1, len, f) != len ||
        (len && body[len - 1] != '\n' && fputc('\n', f) == EOF))
        return CONV_EXIT_USAGE;
    return 0;
}

void conv_resume_free(conv_resume *rs)
{
    conv_csv_free(&rs->f);
    free(rs->text);
    memset(rs, 0, sizeof *rs);
}
