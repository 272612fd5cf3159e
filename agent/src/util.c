/* Small helpers shared by every subcommand: clocks, IPv4 endpoints, tokens, signals. */
#include "agent.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

volatile int g_stop = 0;

double mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

double wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int endpoint_parse(const char *text, struct sockaddr_in *out) {
    char host[64];
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text || (size_t)(colon - text) >= sizeof host) return -1;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (!end || *end != '\0' || end == colon + 1 || port < 1 || port > 65535) return -1;
    memset(out, 0, sizeof *out);
    out->sin_family = AF_INET;
    out->sin_port = htons((unsigned short)port);
    return inet_pton(AF_INET, host, &out->sin_addr) == 1 ? 0 : -1;
}

void endpoint_format(const struct sockaddr_in *addr, char *buf, size_t len) {
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &addr->sin_addr, ip, sizeof ip);
    snprintf(buf, len, "%s:%u", ip, (unsigned)ntohs(addr->sin_port));
}

int endpoint_equal(const struct sockaddr_in *a, const struct sockaddr_in *b) {
    return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

int udp_socket_nonblocking(void) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in any;
    memset(&any, 0, sizeof any);
    any.sin_family = AF_INET;
    any.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(fd, (struct sockaddr *)&any, sizeof any) < 0 ||
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The kernel's route lookup tells which local address packets to `remote` leave from: connect a
 * throwaway UDP socket (sends nothing) and read its name. */
int local_ip_towards(const struct sockaddr_in *remote, struct in_addr *out) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in local;
    socklen_t len = sizeof local;
    int rc = -1;
    if (connect(fd, (const struct sockaddr *)remote, sizeof *remote) == 0 &&
        getsockname(fd, (struct sockaddr *)&local, &len) == 0) {
        *out = local.sin_addr;
        rc = 0;
    }
    close(fd);
    return rc;
}

int send_text(int fd, const struct sockaddr_in *to, const char *text) {
    ssize_t n = sendto(fd, text, strlen(text), 0, (const struct sockaddr *)to, sizeof *to);
    return n < 0 ? -1 : 0;
}

void random_hex(char *out, size_t nbytes) {
    unsigned char raw[64];
    if (nbytes > sizeof raw) nbytes = sizeof raw;
    size_t got = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, raw, nbytes);
        if (n > 0) got = (size_t)n;
        close(fd);
    }
    if (got < nbytes) { /* no /dev/urandom (odd chroot): still unique enough per process */
        unsigned long long seed = (unsigned long long)wall_ms() * 1000003ULL ^ (unsigned long long)getpid();
        for (size_t i = got; i < nbytes; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            raw[i] = (unsigned char)(seed >> 56);
        }
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[2 * nbytes] = '\0';
}

int valid_name(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > NAME_MAX_LEN) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        if (!ok) return 0;
    }
    return 1;
}

int split_tokens(char *buf, char **tokens, int max) {
    int count = 0;
    char *p = buf;
    while (*p && count < max) {
        tokens[count++] = p;
        if (count == max) break; /* the last token keeps the rest of the line */
        char *space = strchr(p, ' ');
        if (!space) break;
        *space = '\0';
        p = space + 1;
    }
    return count;
}

int parse_name_list(char *list, const char *self, const char **names, int max) {
    int count = 0;
    for (char *item = strtok(list, ","); item; item = strtok(NULL, ",")) {
        if (!valid_name(item)) return -1;
        if (self && strcmp(item, self) == 0) continue;
        int duplicate = 0;
        for (int i = 0; i < count; i++) duplicate |= strcmp(names[i], item) == 0;
        if (duplicate) continue;
        if (count == max) return -1;
        names[count++] = item;
    }
    return count;
}

static void on_stop_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

void install_stop_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal; /* no SA_RESTART: poll() returns EINTR and loops see g_stop */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
