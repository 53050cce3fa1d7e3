/* The native reference point: floor.py's bare heapq event loop, written in C.
 *
 * Same schedule as benchmarks/floor.py (and so as flowsim): one binary heap of completions
 * keyed (end time, start number), an indegree array and a binary heap of ready task
 * indices; at each time t, completions first, then free workers to the lowest indices,
 * then the checkpointed tasks made ready at t (and those whose revert ended at t).
 *
 * Input on stdin (written by floor.py's run_native): "n workers" (workers -1: unlimited),
 * then per task "dur rdur fails k succ_1 .. succ_k" with the durations as C99 hex floats
 * (exact). Output on stdout: the makespan (hex float), the loop's own time in seconds
 * (reading the input and writing the output are not timed), the number of completions;
 * then, when argv[1] is given, every task's three start times (hex floats) to that file.
 *
 * Build: cc -O2 -o native_heap native_heap.c (floor.py does it into a temporary
 * directory; no binary is committed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
    double t;
    long seq;
    int task;
    int kind; /* 0 ok, 1 failed first execute, 2 revert */
} Ev;

static Ev *ev;
static long nev;
static int *rd;
static long nrd;

static int ev_less(const Ev *a, const Ev *b) {
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void ev_push(Ev e) {
    long i = nev++;
    while (i > 0) {
        long p = (i - 1) / 2;
        if (!ev_less(&e, &ev[p])) break;
        ev[i] = ev[p];
        i = p;
    }
    ev[i] = e;
}

static Ev ev_pop(void) {
    Ev top = ev[0], last = ev[--nev];
    long i = 0;
    for (;;) {
        long c = 2 * i + 1;
        if (c >= nev) break;
        if (c + 1 < nev && ev_less(&ev[c + 1], &ev[c])) c++;
        if (!ev_less(&ev[c], &last)) break;
        ev[i] = ev[c];
        i = c;
    }
    ev[i] = last;
    return top;
}

static void rd_push(int x) {
    long i = nrd++;
    while (i > 0) {
        long p = (i - 1) / 2;
        if (rd[p] <= x) break;
        rd[i] = rd[p];
        i = p;
    }
    rd[i] = x;
}

static int rd_pop(void) {
    int top = rd[0], last = rd[--nrd];
    long i = 0;
    for (;;) {
        long c = 2 * i + 1;
        if (c >= nrd) break;
        if (c + 1 < nrd && rd[c + 1] < rd[c]) c++;
        if (rd[c] >= last) break;
        rd[i] = rd[c];
        i = c;
    }
    rd[i] = last;
    return top;
}

int main(int argc, char **argv) {
    int n, workers;
    if (scanf("%d %d", &n, &workers) != 2) return 2;
    double *dur = malloc(sizeof(double) * n), *rdur = malloc(sizeof(double) * n);
    int *fails = malloc(sizeof(int) * n), *indeg = calloc(n, sizeof(int));
    int *start = malloc(sizeof(int) * (n + 1)), *succ = NULL;
    long nsucc = 0, cap = 0;
    char buf[64], buf2[64];
    for (int i = 0; i < n; i++) {
        int k;
        if (scanf("%63s %63s %d %d", buf, buf2, &fails[i], &k) != 4) return 2;
        dur[i] = strtod(buf, NULL);
        rdur[i] = strtod(buf2, NULL);
        start[i] = (int)nsucc;
        for (int j = 0; j < k; j++) {
            if (nsucc == cap) {
                cap = cap ? 2 * cap : 1024;
                succ = realloc(succ, sizeof(int) * cap);
            }
            if (scanf("%d", &succ[nsucc]) != 1) return 2;
            indeg[succ[nsucc]]++;
            nsucc++;
        }
    }
    start[n] = (int)nsucc;
    double *first = malloc(sizeof(double) * n), *revert = malloc(sizeof(double) * n);
    double *final = malloc(sizeof(double) * n);
    int *late = malloc(sizeof(int) * n);
    ev = malloc(sizeof(Ev) * (n + 1));
    rd = malloc(sizeof(int) * n);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) first[i] = revert[i] = final[i] = -1.0;
    long free_w = workers < 0 ? n : workers, started = 0, completions = 0;
    int nlate = 0;
    double t = 0.0;
    for (int i = 0; i < n; i++) {
        if (!indeg[i] && fails[i]) late[nlate++] = i;
        if (!indeg[i] && !fails[i]) rd_push(i);
    }
    for (;;) {
        for (int phase = 1; phase <= 2; phase++) {
            if (phase == 2)
                for (int j = 0; j < nlate; j++) rd_push(late[j]);
            while (free_w && nrd) {
                int i = rd_pop();
                free_w--;
                started++;
                Ev e = {t + dur[i], started, i, 0};
                if (fails[i] && first[i] < 0.0) {
                    first[i] = t;
                    e.kind = 1;
                } else {
                    final[i] = t;
                }
                ev_push(e);
            }
        }
        if (!nev) break;
        t = ev[0].t;
        nlate = 0;
        while (nev && ev[0].t == t) {
            Ev e = ev_pop();
            completions++;
            int i = e.task;
            if (e.kind == 0) {
                free_w++;
                for (int s = start[i]; s < start[i + 1]; s++) {
                    int j = succ[s];
                    if (!--indeg[j]) {
                        if (fails[j])
                            late[nlate++] = j;
                        else
                            rd_push(j);
                    }
                }
            } else if (e.kind == 1) { /* the revert starts now, on the same worker */
                started++;
                revert[i] = t;
                Ev r = {t + rdur[i], started, i, 2};
                ev_push(r);
            } else {
                free_w++;
                late[nlate++] = i;
            }
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    printf("%a %.9f %ld\n", t, secs, completions);
    if (argc > 1) {
        FILE *f = fopen(argv[1], "w");
        if (!f) return 2;
        for (int i = 0; i < n; i++) fprintf(f, "%a %a %a\n", first[i], revert[i], final[i]);
        fclose(f);
    }
    return 0;
}
