/* log.c: leveled logging to a stream (stderr by default), as text or as JSON lines.
 *
 * Text:  2001-05-01T00:00:00.123456Z info  message
 * JSON:  {"ts":"2001-05-01T00:00:00.123456Z","level":"info","msg":"message"}
 * One fputs per line under a mutex, so lines from pool threads never interleave.
 * Tests: tests/unit/core/test_log.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cairn/core.h"
#include "cairn/json.h"

static cairn_log_level log_level = CAIRN_LOG_INFO;
static bool log_json;
static FILE *log_stream;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

void cairn_log_set_level(cairn_log_level level)
{
    log_level = level;
}
cairn_log_level cairn_log_get_level(void)
{
    return log_level;
}
void cairn_log_set_json(bool json)
{
    log_json = json;
}
void cairn_log_set_stream(FILE *stream)
{
    log_stream = stream;
}

int cairn_log_level_parse(const char *s, cairn_log_level *out)
{
    for (int i = 0; i <= CAIRN_LOG_OFF; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (cairn_log_level)i;
            return 0;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = CAIRN_LOG_WARN;
        return 0;
    }
    return CAIRN_EINVAL;
}

void cairn_log(cairn_log_level level, const char *fmt, ...)
{
    if (level < log_level || level >= CAIRN_LOG_OFF) return;
    char msg[2048], ts[CAIRN_TIME_FMT_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cairn_time_format(cairn_now_us(), ts, sizeof ts);
    cairn_buf line;
    cairn_buf_init(&line, 0);
    if (log_json) {
        cairn_buf_printf(&line, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts,
                         level_names[level]);
        cairn_json_put_string(&line, msg, strlen(msg));
        cairn_buf_puts(&line, "}\n");
    } else {
        cairn_buf_printf(&line, "%s %-5s %s\n", ts, level_names[level], msg);
    }
    FILE *out = log_stream ? log_stream : stderr;
    pthread_mutex_lock(&log_lock);
    fputs(line.len ? line.data : msg, out);
    fflush(out);
    pthread_mutex_unlock(&log_lock);
    cairn_buf_release(&line);
}
