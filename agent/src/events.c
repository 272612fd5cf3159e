/* Result events, protocol v1: one JSON object per line on stdout (vps-test DESIGN section 8).
 * Each line is built in a buffer and written with one write, then flushed, so lines from a
 * process never interleave and a controller reading the pipe sees each event immediately. */
#include "agent.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    char data[1024];
    size_t len;
} line_buf;

static void put(line_buf *b, const char *s) {
    size_t n = strlen(s);
    if (b->len + n >= sizeof b->data) n = sizeof b->data - b->len - 1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* JSON string with escaping of quotes, backslashes and control characters. */
static void put_string(line_buf *b, const char *s) {
    put(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            snprintf(esc, sizeof esc, "\\%c", *p);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
        } else {
            esc[0] = (char)*p;
            esc[1] = '\0';
        }
        put(b, esc);
    }
    put(b, "\"");
}

static void put_field_string(line_buf *b, const char *key, const char *value) {
    put(b, ",\"");
    put(b, key);
    put(b, "\":");
    put_string(b, value);
}

static void put_field_number(line_buf *b, const char *key, double value, int decimals) {
    char num[64];
    snprintf(num, sizeof num, ",\"%s\":%.*f", key, decimals, value);
    put(b, num);
}

static void emit(line_buf *b) {
    put(b, "}\n");
    fwrite(b->data, 1, b->len, stdout);
    fflush(stdout);
}

static void start(line_buf *b, const char *type) {
    b->len = 0;
    b->data[0] = '\0';
    put(b, "{\"v\":1,\"type\":");
    put_string(b, type);
}

void event_attempt(const char *suite, const char *from, const char *to, const char *path, int ok,
                   double rtt_ms, const char *error, long trial, const char *from_id,
                   const char *to_id) {
    line_buf b;
    start(&b, "attempt");
    put_field_string(&b, "suite", suite);
    put_field_string(&b, "from", from);
    put_field_string(&b, "to", to);
    put_field_string(&b, "path", path);
    put(&b, ok ? ",\"ok\":true" : ",\"ok\":false");
    if (ok) put_field_number(&b, "rtt_ms", rtt_ms, 3);
    if (!ok && error) put_field_string(&b, "error", error);
    if (from_id) put_field_string(&b, "from_id", from_id);
    if (to_id) put_field_string(&b, "to_id", to_id);
    put_field_number(&b, "trial", (double)trial, 0);
    emit(&b);
}

void event_throughput(const char *from, const char *to, unsigned long long bytes, double seconds,
                      double mbps) {
    line_buf b;
    start(&b, "throughput");
    put_field_string(&b, "from", from);
    put_field_string(&b, "to", to);
    put_field_number(&b, "bytes", (double)bytes, 0);
    put_field_number(&b, "seconds", seconds, 3);
    put_field_number(&b, "mbps", mbps, 2);
    emit(&b);
}

void event_gossip(const char *msg, const char *origin, const char *node, int hops,
                  double latency_ms) {
    line_buf b;
    start(&b, "gossip");
    put_field_string(&b, "msg", msg);
    put_field_string(&b, "origin", origin);
    put_field_string(&b, "node", node);
    put_field_number(&b, "hops", hops, 0);
    put_field_number(&b, "latency_ms", latency_ms, 3);
    emit(&b);
}

void event_metric(const char *node, const char *name, double value) {
    line_buf b;
    start(&b, "metric");
    put_field_string(&b, "node", node);
    put_field_string(&b, "name", name);
    put_field_number(&b, "value", value, 3);
    emit(&b);
}
