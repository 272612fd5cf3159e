/*
 * `vps-agent serve`: the rendezvous + relay server that runs on bootstrap nodes, plus a TCP sink
 * for throughput tests. Single-threaded: one poll() loop over the UDP socket, the TCP listener
 * and the open sink connections.
 *
 * Rendezvous: both ends of a probe session register (REG) from a fresh socket; the server
 * records each end's OBSERVED source endpoint (its NAT's public mapping) and, once both are
 * present, tells each the other's endpoint, nonce and whether it looks public (self-reported
 * local address == observed address). Relay: datagrams wrapped in RLY are forwarded verbatim
 * from one registered end of a session to the other. Gossip members (GJOIN) get GSEND payloads
 * forwarded to a member by name. See ../PROTOCOL.md.
 */
#include "agent.h"
#include "table.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define SESSION_TTL_MS "60000"
#define MAX_SESSIONS "12288"
#define MEMBER_TTL_MS 30000.0
#define MAX_SINKS 64
#define SERVE_NICE -10

typedef struct {
    int present;
    int ended; /* sent END: this end is done with the session */
    struct sockaddr_in observed;
    int is_public;
    char name[NAME_MAX_LEN + 1];
    char nonce[NONCE_HEX_LEN + 1];
} session_end;

typedef struct {
    table_head head;
    session_end end[2]; /* 0: initiator, 1: responder */
} session;

typedef struct {
    table_head head; /* key "<group>/<name>" */
    struct sockaddr_in observed;
} member;

typedef struct {
    int fd;
    unsigned long long bytes;
} sink_conn;

typedef struct {
    int udp;
    int relay_enabled;
    table sessions;
    table members;
    /* counters, reported as metric events at exit */
    unsigned long long registrations, pairings, relayed, relay_refused, gossip_forwarded, sink_bytes;
    unsigned long long sessions_ended, sessions_expired, server_full;
    unsigned long long relay_unknown; /* RLY for no session, or from neither registered end */
} server;

/* --- rendezvous --- */

static void send_peer_info(server *s, const session *sess, int side) {
    const session_end *self = &sess->end[side];
    const session_end *peer = &sess->end[1 - side];
    char endpoint[32], msg[MAX_DATAGRAM];
    endpoint_format(&peer->observed, endpoint, sizeof endpoint);
    snprintf(msg, sizeof msg, "VT1 PEER %s %s %d %s %s %d %d", sess->head.key, endpoint,
             peer->is_public, peer->name, peer->nonce, self->is_public, s->relay_enabled);
    send_text(s->udp, &self->observed, msg);
}

/* Checks that a session id "<round>:<from>:<to>" names the registering end in its role. */
static int session_names_match(const char *session_id, int side, const char *name) {
    const char *first = strchr(session_id, ':');
    const char *second = first ? strchr(first + 1, ':') : NULL;
    if (!first || !second || first == session_id) return 0;
    for (const char *p = session_id; p < first; p++)
        if (*p < '0' || *p > '9') return 0;
    const char *begin = side == 0 ? first + 1 : second + 1;
    size_t len = side == 0 ? (size_t)(second - first - 1) : strlen(second + 1);
    return strlen(name) == len && strncmp(begin, name, len) == 0;
}

/* REG <session> <role> <name> <nonce> <local-ip:port> */
static void on_register(server *s, char **tok, int ntok, const struct sockaddr_in *src, double now) {
    char reply[MAX_DATAGRAM];
    if (ntok != 7) return;
    const char *id = tok[2], *role = tok[3], *name = tok[4], *nonce = tok[5];
    int side = strcmp(role, "i") == 0 ? 0 : strcmp(role, "r") == 0 ? 1 : -1;
    struct sockaddr_in local;
    if (side < 0 || !valid_name(name) || strlen(nonce) != NONCE_HEX_LEN ||
        endpoint_parse(tok[6], &local) != 0 || !session_names_match(id, side, name)) {
        snprintf(reply, sizeof reply, "VT1 ERR %.80s bad-registration", id);
        send_text(s->udp, src, reply);
        return;
    }
    session *sess = table_get(&s->sessions, id, 1, now);
    if (!sess) {
        s->server_full++;
        snprintf(reply, sizeof reply, "VT1 ERR %.80s server-full", id);
        send_text(s->udp, src, reply);
        return;
    }
    session_end *end = &sess->end[side];
    if (!end->present || strcmp(end->nonce, nonce) != 0 || !endpoint_equal(&end->observed, src)) {
        /* New end, or a new socket/attempt reusing the id: the latest registration wins. */
        end->present = 1;
        end->ended = 0;
        end->observed = *src;
        end->is_public = endpoint_equal(&local, src);
        snprintf(end->name, sizeof end->name, "%s", name);
        snprintf(end->nonce, sizeof end->nonce, "%s", nonce);
        s->registrations++;
        if (sess->end[1 - side].present) s->pairings++;
    }
    if (sess->end[1 - side].present) {
        /* Answer both: the other end may have missed its PEER (UDP), its retries stop once it has one. */
        send_peer_info(s, sess, 0);
        send_peer_info(s, sess, 1);
    } else {
        snprintf(reply, sizeof reply, "VT1 WAIT %s", id);
        send_text(s->udp, src, reply);
    }
}

/* END <session> <role> <name> <nonce>: that end is done. Once both are, the slot is free again,
 * so the table holds the sessions in progress, not every session of the TTL. */
static void on_end(server *s, char **tok, int ntok, const struct sockaddr_in *src, double now) {
    if (ntok != 6) return;
    int side = strcmp(tok[3], "i") == 0 ? 0 : strcmp(tok[3], "r") == 0 ? 1 : -1;
    if (side < 0) return;
    session *sess = table_get(&s->sessions, tok[2], 0, now);
    if (!sess) return;
    session_end *end = &sess->end[side];
    /* Only the registered end itself: same name, nonce and observed source. */
    if (!end->present || strcmp(end->name, tok[4]) != 0 || strcmp(end->nonce, tok[5]) != 0 ||
        !endpoint_equal(&end->observed, src))
        return;
    end->ended = 1;
    if (sess->end[1 - side].ended) {
        table_delete(&s->sessions, sess);
        s->sessions_ended++;
    }
}

/* RLY <session> <inner...>: forwarded verbatim to the other registered end. */
static void on_relay(server *s, const char *datagram, char **tok, int ntok,
                     const struct sockaddr_in *src, double now) {
    if (ntok < 4) return;
    session *sess = table_get(&s->sessions, tok[2], 0, now);
    if (!sess) {
        s->relay_unknown++;
        return;
    }
    int side = -1;
    for (int i = 0; i < 2; i++)
        if (sess->end[i].present && endpoint_equal(&sess->end[i].observed, src)) side = i;
    if (side < 0 || !sess->end[1 - side].present) { /* not a member: never relay for strangers */
        s->relay_unknown++;
        return;
    }
    if (!s->relay_enabled) {
        char reply[MAX_DATAGRAM];
        snprintf(reply, sizeof reply, "VT1 NORELAY %s", sess->head.key);
        send_text(s->udp, src, reply);
        s->relay_refused++;
        return;
    }
    send_text(s->udp, &sess->end[1 - side].observed, datagram);
    s->relayed++;
}

/* --- gossip membership and forwarding by name --- */

/* GJOIN <group> <name> */
static void on_gossip_join(server *s, char **tok, int ntok, const struct sockaddr_in *src, double now) {
    if (ntok != 4 || !valid_name(tok[2]) || !valid_name(tok[3])) return;
    char key[KEY_MAX_LEN], reply[MAX_DATAGRAM];
    snprintf(key, sizeof key, "%s/%s", tok[2], tok[3]);
    member *m = table_get(&s->members, key, 1, now);
    if (!m) return;
    m->observed = *src;
    snprintf(reply, sizeof reply, "VT1 GJOINED %s", tok[2]);
    send_text(s->udp, src, reply);
}

/* GSEND <group> <to> <inner...> -> GFWD <group> <inner...> to member <to> */
static void on_gossip_send(server *s, char **tok, int ntok, const struct sockaddr_in *src, double now) {
    if (ntok != 5 || !valid_name(tok[2]) || !valid_name(tok[3])) return;
    char key[KEY_MAX_LEN], msg[MAX_DATAGRAM];
    if (!s->relay_enabled) {
        snprintf(msg, sizeof msg, "VT1 NORELAY %s", tok[2]);
        send_text(s->udp, src, msg);
        return;
    }
    snprintf(key, sizeof key, "%s/%s", tok[2], tok[3]);
    member *m = table_get(&s->members, key, 0, now);
    if (!m) return; /* not joined (yet): the sender retries until acknowledged */
    snprintf(msg, sizeof msg, "VT1 GFWD %s %s", tok[2], tok[4]);
    send_text(s->udp, &m->observed, msg);
    s->gossip_forwarded++;
}

static void on_datagram(server *s, char *buf, size_t len, const struct sockaddr_in *src, double now) {
    buf[len] = '\0';
    char original[MAX_DATAGRAM + 1];
    memcpy(original, buf, len + 1); /* split_tokens cuts `buf`; relays forward the original */
    /* Relayed messages are split into fewer tokens so their inner message stays whole. */
    int max = strncmp(buf, "VT1 RLY ", 8) == 0 ? 4 : strncmp(buf, "VT1 GSEND ", 10) == 0 ? 5 : 8;
    char *tok[8];
    int ntok = split_tokens(buf, tok, max);
    if (ntok < 2 || strcmp(tok[0], "VT1") != 0) return;
    if (strcmp(tok[1], "REG") == 0) on_register(s, tok, ntok, src, now);
    else if (strcmp(tok[1], "END") == 0) on_end(s, tok, ntok, src, now);
    else if (strcmp(tok[1], "RLY") == 0) on_relay(s, original, tok, ntok, src, now);
    else if (strcmp(tok[1], "GJOIN") == 0) on_gossip_join(s, tok, ntok, src, now);
    else if (strcmp(tok[1], "GSEND") == 0) on_gossip_send(s, tok, ntok, src, now);
}

/* --- TCP sink: discards data, answers the byte count when the client half-closes --- */

static int tcp_listen(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons((unsigned short)port);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 16) < 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void sink_read(server *s, sink_conn *c) {
    static char buf[256 * 1024];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n > 0) {
            c->bytes += (unsigned long long)n;
            s->sink_bytes += (unsigned long long)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n == 0) { /* client done sending: report what arrived, then close */
            char reply[64];
            int len = snprintf(reply, sizeof reply, "VT1 SINK %llu\n", c->bytes);
            if (send(c->fd, reply, (size_t)len, MSG_NOSIGNAL) < 0) { /* client gone: nothing to do */ }
        }
        close(c->fd);
        c->fd = -1;
        return;
    }
}

static int udp_listen(int port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons((unsigned short)port);
    /* Bursts of registrations from many nodes at round start: 100 nodes send ~20,000 REGs within
     * a few ms, more than 4 MiB of small datagrams (each costs ~1 KiB of buffer). Root may go
     * beyond net.core.rmem_max (not much more: a deeper queue only answers REGs too late to
     * matter); others get what rmem_max allows. */
    int size = 8 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
        size = 4 << 20;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static const char SERVE_USAGE[] =
    "serve --port PORT [--tcp-port PORT] [--no-relay] [--name NAME]\n"
    "                       [--max-sessions N] [--session-ttl-ms MS]\n"
    "\n"
    "Runs the UDP rendezvous + relay server on PORT and a TCP throughput sink on the same port\n"
    "number (or --tcp-port; 0 disables it). Stops on SIGINT/SIGTERM and prints metric events.\n";


int cmd_serve(int argc, char **argv) {
    const char *port_s = NULL, *tcp_port_s = NULL, *name = "server";
    const char *max_sessions_s = MAX_SESSIONS, *ttl_s = SESSION_TTL_MS;
    int no_relay = 0;
    cli_option options[] = {
        {"port", "PORT", "UDP port for rendezvous and relay (required)", &port_s, NULL, 0},
        {"tcp-port", "PORT", "TCP port of the throughput sink (default: --port; 0: off)", &tcp_port_s, NULL, 0},
        {"no-relay", NULL, "refuse to relay (probes must connect directly or by hole punch)", NULL, &no_relay, 0},
        {"name", "NAME", "node name used in metric events (default: server)", &name, NULL, 0},
        {"max-sessions", "N", "probe sessions open at once (default: " MAX_SESSIONS ")", &max_sessions_s, NULL, 0},
        {"session-ttl-ms", "MS", "a session not ended is freed this long after its last packet (default: " SESSION_TTL_MS ")", &ttl_s, NULL, 0},
        {NULL, NULL, NULL, NULL, NULL, 0},
    };
    cli_parse("serve", SERVE_USAGE, argc, argv, options);
    int port = (int)cli_number("serve", "port", cli_required("serve", "port", port_s), 1, 65535);
    int tcp_port = tcp_port_s ? (int)cli_number("serve", "tcp-port", tcp_port_s, 0, 65535) : port;
    if (!valid_name(name)) cli_fail("serve", "--name must match [A-Za-z0-9._-]{1,32}");
    long max_sessions = cli_number("serve", "max-sessions", max_sessions_s, 1, 3000000);
    double session_ttl = (double)cli_number("serve", "session-ttl-ms", ttl_s, 100, 3600000);

    server s;
    memset(&s, 0, sizeof s);
    s.relay_enabled = !no_relay;
    if (table_init(&s.sessions, (size_t)max_sessions, sizeof(session)) || table_init(&s.members, 3072, sizeof(member))) {
        fprintf(stderr, "vps-agent serve: out of memory\n");
        return 1;
    }
    s.udp = udp_listen(port);
    if (s.udp < 0) {
        fprintf(stderr, "vps-agent serve: cannot bind UDP port %d: %s\n", port, strerror(errno));
        return 1;
    }
    int listener = -1;
    if (tcp_port > 0 && (listener = tcp_listen(tcp_port)) < 0) {
        fprintf(stderr, "vps-agent serve: cannot listen on TCP port %d: %s\n", tcp_port, strerror(errno));
        return 1;
    }
    install_stop_handlers();
    /* Every node of a round talks to this one process within milliseconds. On a lab host it
     * shares the CPU with all of them: at the default priority it got ~5% of a core during a
     * 100-node round and dropped 80% of the datagrams (receive queue full). It needs little CPU
     * (a few us a datagram), so it may run first. Without the privilege it stays at its
     * priority and says so. */
    if (setpriority(PRIO_PROCESS, 0, SERVE_NICE) != 0)
        fprintf(stderr, "vps-agent serve: cannot raise priority to nice %d (%s); running at the default\n", SERVE_NICE, strerror(errno));
    fprintf(stderr, "vps-agent serve: listening on udp/%d tcp/%d relay %s\n", port, tcp_port,
            s.relay_enabled ? "on" : "off");

    sink_conn sinks[MAX_SINKS];
    for (int i = 0; i < MAX_SINKS; i++) sinks[i].fd = -1;
    double next_sweep = mono_ms() + 1000.0;
    while (!g_stop) {
        struct pollfd fds[2 + MAX_SINKS];
        int map[2 + MAX_SINKS];
        nfds_t n = 0;
        fds[n].fd = s.udp;
        fds[n++].events = POLLIN;
        if (listener >= 0) {
            fds[n].fd = listener;
            fds[n++].events = POLLIN;
        }
        for (int i = 0; i < MAX_SINKS; i++) {
            if (sinks[i].fd < 0) continue;
            map[n] = i;
            fds[n].fd = sinks[i].fd;
            fds[n++].events = POLLIN;
        }
        if (poll(fds, n, 500) < 0 && errno != EINTR) break;
        double now = mono_ms();
        if (fds[0].revents & POLLIN) {
            for (int burst = 0; burst < 256; burst++) { /* drain, but let TCP get a turn */
                char buf[MAX_DATAGRAM + 1];
                struct sockaddr_in src;
                socklen_t srclen = sizeof src;
                ssize_t len = recvfrom(s.udp, buf, MAX_DATAGRAM, 0, (struct sockaddr *)&src, &srclen);
                if (len < 0) break;
                on_datagram(&s, buf, (size_t)len, &src, now);
            }
        }
        for (nfds_t i = 1; i < n; i++) {
            if (!fds[i].revents) continue;
            if (fds[i].fd == listener) {
                int fd = accept(listener, NULL, NULL);
                if (fd < 0) continue;
                int slot = -1;
                for (int k = 0; k < MAX_SINKS && slot < 0; k++)
                    if (sinks[k].fd < 0) slot = k;
                if (slot < 0) {
                    close(fd); /* too many concurrent streams */
                    continue;
                }
                fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
                sinks[slot].fd = fd;
                sinks[slot].bytes = 0;
            } else {
                sink_read(&s, &sinks[map[i]]);
            }
        }
        if (now >= next_sweep) {
            s.sessions_expired += table_expire(&s.sessions, now, session_ttl);
            table_expire(&s.members, now, MEMBER_TTL_MS);
            next_sweep = now + 1000.0;
        }
    }
    event_metric(name, "registrations", (double)s.registrations);
    event_metric(name, "pairings", (double)s.pairings);
    event_metric(name, "relayed_packets", (double)s.relayed);
    event_metric(name, "relay_refused", (double)s.relay_refused);
    event_metric(name, "gossip_forwarded", (double)s.gossip_forwarded);
    event_metric(name, "sink_bytes", (double)s.sink_bytes);
    event_metric(name, "sessions_ended", (double)s.sessions_ended);
    event_metric(name, "sessions_expired", (double)s.sessions_expired);
    event_metric(name, "server_full", (double)s.server_full);
    event_metric(name, "relay_unknown", (double)s.relay_unknown);
    return 0;
}
