/* src/core/crash.c: crash points, for tests that kill a process at many exact places.
 *
 * Code that must survive a crash calls cairn_crashpoint("where") between its durable steps
 * (after a temporary file is synced, after a rename, before and after a catalog commit).
 * When the environment variable CAIRN_CRASHPOINT is a number N > 0, the N-th call in the
 * process kills it with SIGKILL, exactly as `kill -9` would; with CAIRN_CRASHPOINT_TRACE set,
 * every call prints "crashpoint <n> <where>" to stderr, so a test can count them first.
 * Without either variable a call costs one relaxed atomic load.
 *
 * Tests: tests/integration/test_ingest_crash.sh.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cairn/core.h"

static atomic_int state; /* 0 = unread, 1 = off, 2 = on */
static int64_t crash_at;
static bool trace;
static atomic_llong calls;

static void read_env(void)
{
    const char *n = getenv("CAIRN_CRASHPOINT");
    crash_at = n ? strtoll(n, NULL, 10) : 0;
    trace = getenv("CAIRN_CRASHPOINT_TRACE") != NULL;
    atomic_store(&state, crash_at > 0 || trace ? 2 : 1);
}

void cairn_crashpoint(const char *where)
{
    int s = atomic_load_explicit(&state, memory_order_relaxed);
    if (s == 0) {
        read_env();
        s = atomic_load(&state);
    }
    if (s != 2) return;
    long long n = atomic_fetch_add(&calls, 1) + 1;
    if (trace) fprintf(stderr, "crashpoint %lld %s\n", n, where);
    if (n == crash_at) {
        fflush(NULL);
        kill(getpid(), SIGKILL);
        _exit(137); /* not reached */
    }
}
