/*
 * `vps-agent gossip`: push gossip of one message through the server's relay.
 *
 * Every node joins the group named by --msg at the server (GJOIN) and can then send to any
 * member by name (GSEND); the server forwards (GFWD). The origin stamps the message with its
 * wall clock and pushes it to `fanout` random peers. A node receiving it for the first time
 * prints a gossip event (hops travelled, latency against the origin's clock; lab nodes share
 * one clock) and pushes it on to `fanout` random peers. Receivers acknowledge (GACK); every
 * holder keeps re-pushing, one peer per 100 ms, to peers that have not acknowledged yet, so
 * delivery does not depend on luck or on every node having started before the first push.
 * A node stops when every peer has the message (it sent or acknowledged it to this node, so
 * the knowledge is mutual and nobody keeps pushing to a node that left), or when --duration-ms
 * runs out.
 */
#include "agent.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define JOIN_RETRY_MS 250.0
#define JOIN_REFRESH_MS 2000.0
#define REPUSH_TICK_MS 100.0
#define REPUSH_AFTER_MS 300.0

typedef struct {
    const char *name;
    int acked; /* known to have the message */
    double last_push;
} gossip_peer;

typedef struct {
    const char *name, *msg;
    struct sockaddr_in server;
    int fd;
    int fanout;
    gossip_peer peers[MAX_PEERS];
    int npeers;
    /* the message, once we have it */
    int have;
    char origin[NAME_MAX_LEN + 1];
    double origin_ts; /* origin's wall clock, ms */
    int hops;
} gossip_node;

static void send_inner(const gossip_node *g, const char *to, const char *inner) {
    char msg[MAX_DATAGRAM];
    snprintf(msg, sizeof msg, "VT1 GSEND %s %s %s", g->msg, to, inner);
    send_text(g->fd, &g->server, msg);
}

static void push_to(gossip_node *g, gossip_peer *p, double now) {
    char inner[MAX_DATAGRAM];
    snprintf(inner, sizeof inner, "GMSG %s %.3f %d %s", g->origin, g->origin_ts, g->hops + 1, g->name);
    send_inner(g, p->name, inner);
    p->last_push = now;
}

/* Pushes to up to `count` random peers that are not known to have the message and were not
 * pushed to recently. */
static void push_random(gossip_node *g, int count, double now) {
    int candidates[MAX_PEERS], n = 0;
    for (int i = 0; i < g->npeers; i++)
        if (!g->peers[i].acked && now - g->peers[i].last_push >= REPUSH_AFTER_MS) candidates[n++] = i;
    for (int k = 0; k < count && n > 0; k++) {
        int pick = rand() % n;
        push_to(g, &g->peers[candidates[pick]], now);
        candidates[pick] = candidates[--n];
    }
}

static gossip_peer *find_peer(gossip_node *g, const char *name) {
    for (int i = 0; i < g->npeers; i++)
        if (strcmp(g->peers[i].name, name) == 0) return &g->peers[i];
    return NULL;
}

/* GFWD <group> GMSG <origin> <ts> <hops> <sender>   |   GFWD <group> GACK <sender> */
static void on_forwarded(gossip_node *g, char *inner, double now) {
    char *tok[6];
    int n = split_tokens(inner, tok, 6);
    if (n == 5 && strcmp(tok[0], "GMSG") == 0) {
        gossip_peer *sender = find_peer(g, tok[4]);
        if (!sender || !valid_name(tok[1])) return; /* not one of ours */
        sender->acked = 1;
        char ack[64];
        snprintf(ack, sizeof ack, "GACK %s", g->name);
        send_inner(g, sender->name, ack);
        if (g->have) return;
        g->have = 1;
        snprintf(g->origin, sizeof g->origin, "%s", tok[1]);
        g->origin_ts = atof(tok[2]);
        g->hops = atoi(tok[3]);
        event_gossip(g->msg, g->origin, g->name, g->hops, wall_ms() - g->origin_ts);
        push_random(g, g->fanout, now);
    } else if (n == 2 && strcmp(tok[0], "GACK") == 0) {
        gossip_peer *p = find_peer(g, tok[1]);
        if (p) p->acked = 1;
    }
}

static int everyone_has_it(const gossip_node *g) {
    if (!g->have) return 0;
    for (int i = 0; i < g->npeers; i++)
        if (!g->peers[i].acked) return 0;
    return 1;
}

static const char GOSSIP_USAGE[] =
    "gossip --name NAME --server IP:PORT --peers A,B,... --origin yes|no --msg ID\n"
    "                        [--fanout N] [--duration-ms MS]\n"
    "\n"
    "Every node of the run starts this at the same time; the origin (--origin yes) creates\n"
    "message ID. Each other node prints one gossip event when the message first reaches it.\n"
    "Needs the server's relay (exit 1 if the server refuses to relay).\n";

int cmd_gossip(int argc, char **argv) {
    const char *name = NULL, *server = NULL, *peers_s = NULL, *origin_s = NULL, *msg = NULL;
    const char *fanout_s = "3", *duration_s = "5000";
    cli_option options[] = {
        {"name", "NAME", "this node's name (required)", &name, NULL, 0},
        {"server", "IP:PORT", "server whose relay carries the gossip (required)", &server, NULL, 0},
        {"peers", "A,B,...", "the other nodes; own name is skipped (required)", &peers_s, NULL, 0},
        {"origin", "yes|no", "whether this node creates the message (required)", &origin_s, NULL, 0},
        {"msg", "ID", "message id, also the gossip group (required)", &msg, NULL, 0},
        {"fanout", "N", "peers pushed to on first receipt (default: 3)", &fanout_s, NULL, 0},
        {"duration-ms", "MS", "how long to take part at most (default: 5000)", &duration_s, NULL, 0},
        {NULL, NULL, NULL, NULL, NULL, 0},
    };
    cli_parse("gossip", GOSSIP_USAGE, argc, argv, options);
    static gossip_node g;
    memset(&g, 0, sizeof g);
    g.name = cli_required("gossip", "name", name);
    g.msg = cli_required("gossip", "msg", msg);
    if (!valid_name(g.name) || !valid_name(g.msg))
        cli_fail("gossip", "--name and --msg must match [A-Za-z0-9._-]{1,32}");
    if (endpoint_parse(cli_required("gossip", "server", server), &g.server) != 0)
        cli_fail("gossip", "--server must be IPv4:PORT, got '%s'", server);
    cli_required("gossip", "origin", origin_s);
    if (strcmp(origin_s, "yes") != 0 && strcmp(origin_s, "no") != 0)
        cli_fail("gossip", "--origin must be yes or no, got '%s'", origin_s);
    g.fanout = (int)cli_number("gossip", "fanout", fanout_s, 1, MAX_PEERS);
    long duration = cli_number("gossip", "duration-ms", duration_s, 100, 3600000L);
    const char *names[MAX_PEERS];
    char *list = strdup(cli_required("gossip", "peers", peers_s));
    g.npeers = parse_name_list(list, g.name, names, MAX_PEERS);
    if (g.npeers < 0) cli_fail("gossip", "--peers must be up to %d comma-separated names", MAX_PEERS);
    for (int i = 0; i < g.npeers; i++) g.peers[i].name = names[i], g.peers[i].last_push = -1e12;
    char seed[9];
    random_hex(seed, 4);
    srand((unsigned)strtoul(seed, NULL, 16));
    g.fd = udp_socket_nonblocking();
    if (g.fd < 0) {
        fprintf(stderr, "vps-agent gossip: cannot open UDP socket: %s\n", strerror(errno));
        return 1;
    }
    install_stop_handlers();

    double start = mono_ms(), end = start + (double)duration;
    double next_join = start, next_repush = start;
    int joined = 0;
    if (strcmp(origin_s, "yes") == 0) {
        g.have = 1;
        g.hops = 0;
        snprintf(g.origin, sizeof g.origin, "%s", g.name);
        g.origin_ts = wall_ms();
        push_random(&g, g.fanout, start);
    }
    int status = 0;
    while (!g_stop && !everyone_has_it(&g)) {
        double now = mono_ms();
        if (now >= end) break;
        if (now >= next_join) {
            char join[MAX_DATAGRAM];
            snprintf(join, sizeof join, "VT1 GJOIN %s %s", g.msg, g.name);
            send_text(g.fd, &g.server, join);
            next_join = now + (joined ? JOIN_REFRESH_MS : JOIN_RETRY_MS);
        }
        if (g.have && now >= next_repush) {
            push_random(&g, 1, now);
            next_repush = now + REPUSH_TICK_MS;
        }
        struct pollfd p = {g.fd, POLLIN, 0};
        double wake = next_join < end ? next_join : end;
        if (g.have && next_repush < wake) wake = next_repush;
        if (poll(&p, 1, wake > now ? (int)(wake - now) + 1 : 0) < 0 && errno != EINTR) break;
        now = mono_ms();
        for (;;) {
            char buf[MAX_DATAGRAM + 1];
            struct sockaddr_in src;
            socklen_t srclen = sizeof src;
            ssize_t len = recvfrom(g.fd, buf, MAX_DATAGRAM, 0, (struct sockaddr *)&src, &srclen);
            if (len < 0) break;
            if (!endpoint_equal(&src, &g.server)) continue; /* gossip only arrives via the server */
            buf[len] = '\0';
            char *tok[4];
            int n = split_tokens(buf, tok, 4);
            if (n < 3 || strcmp(tok[0], "VT1") != 0 || strcmp(tok[2], g.msg) != 0) continue;
            if (strcmp(tok[1], "GJOINED") == 0) {
                if (!joined) next_join = now + JOIN_REFRESH_MS;
                joined = 1;
            } else if (strcmp(tok[1], "GFWD") == 0 && n == 4) {
                on_forwarded(&g, tok[3], now);
            } else if (strcmp(tok[1], "NORELAY") == 0) {
                fprintf(stderr, "vps-agent gossip: server %s refuses to relay (started with --no-relay)\n", server);
                status = 1;
                g_stop = 1;
            }
        }
    }
    if (!g.have) fprintf(stderr, "vps-agent gossip: %s never received message %s\n", g.name, g.msg);
    close(g.fd);
    free(list);
    return status;
}
