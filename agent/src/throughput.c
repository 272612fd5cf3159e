/*
 * `vps-agent throughput`: streams zeros over TCP to a server's sink for N seconds, half-closes,
 * and waits for the sink's "VT1 SINK <bytes>" answer. The event reports the bytes the sink
 * RECEIVED (not what we queued) over the time until that answer, so socket buffers still in
 * flight when the timer ends cannot inflate the rate.
 */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_MS 5000
#define ANSWER_TIMEOUT_S 15

static int connect_with_timeout(const struct sockaddr_in *addr, int timeout_ms) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    struct pollfd p = {fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (poll(&p, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
        close(fd);
        errno = err ? err : ETIMEDOUT;
        return -1;
    }
    fcntl(fd, F_SETFL, flags); /* back to blocking; timeouts below bound each call */
    return fd;
}

static void set_timeout(int fd, int option, long ms) {
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

static const char THROUGHPUT_USAGE[] =
    "throughput --name NAME --to NAME --addr IP:PORT --seconds N\n"
    "\n"
    "Streams TCP data to the sink of 'vps-agent serve' at IP:PORT for N seconds and prints a\n"
    "throughput event (bytes received by the sink, seconds, mbps). Exit 1 if the sink is\n"
    "unreachable or does not confirm the byte count.\n";

int cmd_throughput(int argc, char **argv) {
    const char *name = NULL, *to = NULL, *addr_s = NULL, *seconds_s = NULL;
    cli_option options[] = {
        {"name", "NAME", "this node's name (required)", &name, NULL, 0},
        {"to", "NAME", "name of the node running the sink, for the event (required)", &to, NULL, 0},
        {"addr", "IP:PORT", "TCP address of the sink (required)", &addr_s, NULL, 0},
        {"seconds", "N", "how long to send, 1..3600 (required)", &seconds_s, NULL, 0},
        {NULL, NULL, NULL, NULL, NULL, 0},
    };
    cli_parse("throughput", THROUGHPUT_USAGE, argc, argv, options);
    cli_required("throughput", "name", name);
    cli_required("throughput", "to", to);
    if (!valid_name(name) || !valid_name(to))
        cli_fail("throughput", "--name and --to must match [A-Za-z0-9._-]{1,32}");
    struct sockaddr_in addr;
    if (endpoint_parse(cli_required("throughput", "addr", addr_s), &addr) != 0)
        cli_fail("throughput", "--addr must be IPv4:PORT, got '%s'", addr_s);
    long seconds = cli_number("throughput", "seconds", cli_required("throughput", "seconds", seconds_s), 1, 3600);
    install_stop_handlers();

    int fd = connect_with_timeout(&addr, CONNECT_TIMEOUT_MS);
    if (fd < 0) {
        fprintf(stderr, "vps-agent throughput: cannot connect to %s: %s\n", addr_s, strerror(errno));
        return 1;
    }
    set_timeout(fd, SO_SNDTIMEO, 200); /* so the clock is checked even when the link stalls */
    static char chunk[128 * 1024];
    double start = mono_ms(), end = start + (double)seconds * 1000.0;
    unsigned long long sent = 0;
    while (!g_stop && mono_ms() < end) {
        ssize_t n = send(fd, chunk, sizeof chunk, MSG_NOSIGNAL);
        if (n > 0) sent += (unsigned long long)n;
        else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            fprintf(stderr, "vps-agent throughput: send to %s failed: %s\n", addr_s, strerror(errno));
            close(fd);
            return 1;
        }
    }
    shutdown(fd, SHUT_WR);
    set_timeout(fd, SO_RCVTIMEO, ANSWER_TIMEOUT_S * 1000L);
    char answer[128];
    size_t have = 0;
    while (have < sizeof answer - 1) {
        ssize_t n = recv(fd, answer + have, sizeof answer - 1 - have, 0);
        if (n <= 0) break;
        have += (size_t)n;
        if (memchr(answer, '\n', have)) break;
    }
    answer[have] = '\0';
    double elapsed_s = (mono_ms() - start) / 1000.0;
    close(fd);
    unsigned long long received = 0;
    if (sscanf(answer, "VT1 SINK %llu", &received) != 1) {
        fprintf(stderr, "vps-agent throughput: sink at %s did not confirm the byte count (sent %llu bytes)\n",
                addr_s, sent);
        return 1;
    }
    event_throughput(name, to, received, elapsed_s, (double)received * 8.0 / elapsed_s / 1e6);
    return 0;
}
