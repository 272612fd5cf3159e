/*
 * `vps-agent probe`: one connectivity round, run on every node at the same time.
 *
 * For each ordered pair (X -> Y) of the round, X is the initiator and Y the responder. Both open
 * a FRESH UDP socket for that pair and register with the server under session "<round>:X:Y".
 * The server answers each with the other's observed endpoint and nonce. The initiator then
 * tries, in order:
 *   direct      only when the responder looks public: PINGs to its endpoint; the responder
 *               only answers during this phase, so success really means "reachable directly";
 *   hole_punch  both ends PING each other every 25 ms; each end switches to the source address
 *               it actually hears the peer from (peer-reflexive), which is what makes a
 *               symmetric NAT on one side work;
 *   relay       PINGs wrapped in RLY through the server (unless --no-relay or the server refuses).
 * How long each phase lasts is decided in phases.c, from what both ends report.
 * Every packet carries the session id, the sender's name and the sender's per-session nonce;
 * a packet that does not match the expected peer exactly is ignored (stale rounds, strays, and
 * replies from ourselves or a third node never count as success).
 *
 * All pairs of the round run concurrently in one single-threaded poll() loop. An attempt waits at
 * most --start-window-ms for its peer to register (the nodes of a round never start at exactly
 * the same moment); its timeout runs from the moment the server paired it, so a late peer costs
 * waiting, not the attempt. The process ends when every attempt has finished, at most
 * start window + timeout + 500 ms after it started.
 */
#include "probe.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REGISTER_INTERVAL_MS 100.0
#define REGISTER_INTERVAL_MAX_MS 400.0 /* once the server has us: retries only repair losses */
#define REGISTER_UNANSWERED_MAX_MS 800.0 /* a silent server is overloaded: back off, never pile on */
#define DONE_INTERVAL_MS 15.0
#define POLL_GRAIN_MS 2
#define DONE_COPIES 3
#define RESPONDER_GRACE_MS 500.0 /* responders outlive initiators: start times differ across nodes */

const char *const PATH_NAMES[3] = {"direct", "hole_punch", "relay"};

/* --- sending --- */

/* Sends a peer message either straight to the peer or wrapped in RLY through the server. */
void send_to_peer(const probe_ctx *c, attempt *a, const char *msg, int via_relay) {
    if (via_relay) {
        char wrapped[MAX_DATAGRAM];
        snprintf(wrapped, sizeof wrapped, "VT1 RLY %s %s", a->session, msg);
        send_text(a->fd, &c->server, wrapped);
    } else {
        send_text(a->fd, &a->peer_addr, msg);
    }
}

static void send_register(const probe_ctx *c, attempt *a) {
    struct sockaddr_in local;
    socklen_t len = sizeof local;
    char endpoint[32], msg[MAX_DATAGRAM];
    getsockname(a->fd, (struct sockaddr *)&local, &len);
    local.sin_addr = c->local_ip; /* bound to 0.0.0.0: report the address the route uses */
    endpoint_format(&local, endpoint, sizeof endpoint);
    snprintf(msg, sizeof msg, "VT1 REG %s %s %s %s %s", a->session, a->role == INITIATOR ? "i" : "r",
             c->name, a->nonce, endpoint);
    send_text(a->fd, &c->server, msg);
}

/* Frees the session on the server at once (instead of at its TTL); a lost copy costs nothing. */
static void send_end(const probe_ctx *c, attempt *a) {
    char msg[MAX_DATAGRAM];
    snprintf(msg, sizeof msg, "VT1 END %s %s %s %s", a->session, a->role == INITIATOR ? "i" : "r", c->name, a->nonce);
    send_text(a->fd, &c->server, msg);
}

/* --- outcome --- */

static void report_success(const probe_ctx *c, attempt *a, int path, double rtt, const char *peer_id, double now) {
    event_attempt(c->suite, c->name, a->peer, PATH_NAMES[path], 1, rtt, NULL, c->round,
                  c->instance_id, peer_id);
    a->finished = 1;
    a->success_path = path;
    a->done_left = DONE_COPIES; /* tell the responder it can stop */
    a->next_done = now;
}

void report_failure(const probe_ctx *c, attempt *a) {
    char error[160];
    int path = PATH_DIRECT;
    if (!a->server_answered) {
        snprintf(error, sizeof error, "timeout (no answer from server)");
    } else if (!a->paired) {
        snprintf(error, sizeof error, "timeout (peer never registered)");
    } else {
        char tried[64] = "";
        for (int p = PATH_DIRECT; p <= PATH_RELAY; p++) {
            if (!(a->tried & (1u << p))) continue;
            if (*tried) strcat(tried, ", ");
            strcat(tried, PATH_NAMES[p]);
            path = p;
        }
        int refused = !c->no_relay && (a->relay_refused || !a->relay_offered);
        if (refused) path = PATH_RELAY;
        snprintf(error, sizeof error, "%s%s%s%s", *tried ? "timeout (no answer via " : "", tried,
                 *tried ? ")" : "", refused ? (*tried ? "; relay refused by server" : "relay refused by server") : "");
        if (!*error) snprintf(error, sizeof error, "no path to try");
    }
    event_attempt(c->suite, c->name, a->peer, PATH_NAMES[path], 0, 0, error, c->round, NULL, NULL);
    a->finished = 1;
    a->done_left = 0;
    if (a->server_answered) send_end(c, a);
}

static double min_time(double a, double b) { return a < b ? a : b; }

/* A uniform value in [0, 1) for jitter (xorshift; seeded once per process). */
static unsigned long long jitter_state;
static double jitter_unit(void) {
    jitter_state ^= jitter_state << 13;
    jitter_state ^= jitter_state >> 7;
    jitter_state ^= jitter_state << 17;
    return (double)(jitter_state >> 11) / 9007199254740992.0;
}

/* Advances one attempt; returns the next time it needs attention. */
static double tick(const probe_ctx *c, attempt *a, double now) {
    if (a->finished) {
        if (a->done_left > 0 && now >= a->next_done) {
            char msg[MAX_DATAGRAM];
            snprintf(msg, sizeof msg, "VT1 DONE %s %s %s %s", a->session, c->name, a->nonce,
                     PATH_NAMES[a->success_path]);
            send_to_peer(c, a, msg, a->success_path == PATH_RELAY);
            if (--a->done_left == 0) send_end(c, a);
            a->next_done = now + DONE_INTERVAL_MS;
        }
        return a->done_left > 0 ? a->next_done : now + 1000.0;
    }
    if (now >= a->deadline) {
        if (a->role == INITIATOR) {
            report_failure(c, a);
        } else {
            a->finished = 1;
            if (a->paired) send_end(c, a);
        }
        return now + 1000.0;
    }
    if (!a->paired) {
        if (now >= a->next_register) {
            if (a->first_register_at == 0) a->first_register_at = now;
            send_register(c, a);
            /* +-20% jitter: the retries of many sockets must not arrive at the server in step. */
            a->next_register = now + a->register_interval * (0.8 + 0.4 * jitter_unit());
            /* Registered and waiting: the server answers both ends when the peer arrives. Not
             * answered: the server is overloaded or the REG was lost; retry ever more slowly. */
            if (a->server_answered) a->register_interval = min_time(a->register_interval * 2, REGISTER_INTERVAL_MAX_MS);
            else a->register_interval = min_time(a->register_interval * 1.5, REGISTER_UNANSWERED_MAX_MS);
        }
        return min_time(a->next_register, a->deadline);
    }
    return phases_tick(c, a, now);
}

/* --- receiving --- */

/* PEER <session> <peer-ip:port> <peer-public> <peer-name> <peer-nonce> <self-public> <relay> */
static void on_peer_info(const probe_ctx *c, attempt *a, char **tok, int ntok, double now) {
    if (ntok != 9 || strcmp(tok[2], a->session) != 0 || strcmp(tok[5], a->peer) != 0) return;
    if (a->paired || strlen(tok[6]) != NONCE_HEX_LEN) return; /* duplicates of the first answer */
    if (endpoint_parse(tok[3], &a->peer_addr) != 0) return;
    a->peer_public = strcmp(tok[4], "1") == 0;
    snprintf(a->peer_nonce, sizeof a->peer_nonce, "%s", tok[6]);
    a->self_public = strcmp(tok[7], "1") == 0;
    a->relay_offered = strcmp(tok[8], "1") == 0;
    a->paired = 1;
    /* The attempt's own time starts now: both ends hear PEER at about the same moment. */
    a->paired_at = now;
    a->deadline = now + (double)c->timeout_ms + (a->role == RESPONDER ? RESPONDER_GRACE_MS : 0.0);
    phases_start(c, a, now);
}

/* A message from the peer, arriving directly from `src` or through the relay. Only messages
 * carrying our session, the expected peer name and the peer's nonce from the server count. */
static void on_peer_message(const probe_ctx *c, attempt *a, char **tok, int ntok,
                            const struct sockaddr_in *src, int via_relay, double now) {
    if (!a->paired || ntok < 6 || strcmp(tok[2], a->session) != 0 || strcmp(tok[3], a->peer) != 0 ||
        strcmp(tok[4], a->peer_nonce) != 0)
        return;
    char msg[MAX_DATAGRAM];
    if (strcmp(tok[1], "PING") == 0 && ntok == 6) {
        if (!via_relay && !c->no_reflexive) a->peer_addr = *src; /* peer-reflexive: answer where it really comes from */
        snprintf(msg, sizeof msg, "VT1 PONG %s %s %s %s %s", a->session, c->name, a->nonce, tok[5],
                 c->instance_id);
        send_to_peer(c, a, msg, via_relay);
        if (via_relay) phases_on_relayed_ping(c, a);
        else phases_on_direct_ping(c, a, now);
    } else if (strcmp(tok[1], "STAT") == 0 && via_relay) {
        phases_on_stat(c, a, tok, ntok, now);
    } else if (strcmp(tok[1], "PONG") == 0 && ntok == 7 && a->role == INITIATOR && !a->finished) {
        int seq = atoi(tok[5]);
        const ping_record *r = &a->pings[seq % PING_RING];
        if (seq <= 0 || r->seq != seq || (r->path == PATH_RELAY) != via_relay) return;
        if (strcmp(tok[6], c->instance_id) == 0) return; /* our own process answered: not the peer */
        if (!via_relay && !c->no_reflexive) a->peer_addr = *src;
        report_success(c, a, r->path, now - r->sent_at, tok[6], now);
    } else if (strcmp(tok[1], "DONE") == 0 && a->role == RESPONDER && !a->finished) {
        a->finished = 1;
        send_end(c, a);
    }
}

static void on_datagram(const probe_ctx *c, attempt *a, char *buf, const struct sockaddr_in *src, double now) {
    char *tok[9];
    int from_server = endpoint_equal(src, &c->server);
    if (from_server && strncmp(buf, "VT1 RLY ", 8) == 0) {
        int n = split_tokens(buf, tok, 4);
        if (n != 4 || strcmp(tok[2], a->session) != 0) return;
        char *inner[9];
        int ni = split_tokens(tok[3], inner, 9);
        if (ni >= 2 && strcmp(inner[0], "VT1") == 0) on_peer_message(c, a, inner, ni, src, 1, now);
        return;
    }
    int n = split_tokens(buf, tok, 9);
    if (n < 3 || strcmp(tok[0], "VT1") != 0) return;
    if (from_server) {
        if (strcmp(tok[2], a->session) != 0) return;
        a->server_answered = 1;
        /* From the first REG, so a lost first REG only overstates it (longer windows, safe). */
        if (a->server_rtt < 0) a->server_rtt = now - a->first_register_at;
        if (strcmp(tok[1], "PEER") == 0) on_peer_info(c, a, tok, n, now);
        else if (strcmp(tok[1], "NORELAY") == 0) a->relay_refused = 1;
        else if (strcmp(tok[1], "ERR") == 0 && n >= 4)
            fprintf(stderr, "vps-agent probe: server refused %s: %s\n", a->session, tok[3]);
        return;
    }
    on_peer_message(c, a, tok, n, src, 0, now);
}

/* --- command --- */

static const char PROBE_USAGE[] =
    "probe --name NAME --server IP:PORT --peers A,B,... --round K [--suite NAME]\n"
    "                       [--timeout-ms MS] [--start-window-ms MS] [--start-at EPOCH_MS] [--no-relay]\n"
    "\n"
    "One connectivity round against every peer, run on all nodes at the same time. For each\n"
    "ordered pair this node initiates, prints one attempt event: path direct|hole_punch|relay,\n"
    "ok, rtt_ms (or error), trial = K. An attempt waits up to the start window for its peer to\n"
    "register, then has the timeout. Ends within start window + timeout + 500 ms after it\n"
    "starts: at once, or at --start-at (ms since the epoch, this machine's clock).\n";

int cmd_probe(int argc, char **argv) {
    const char *name = NULL, *server = NULL, *peers_s = NULL, *round_s = NULL;
    const char *suite = "connectivity", *timeout_s = "3000", *window_s = NULL, *start_at_s = NULL;
    int no_relay = 0, skip_direct = 0, skip_punch = 0, force_relay = 0, no_reflexive = 0, fixed_windows = 0;
    cli_option options[] = {
        {"name", "NAME", "this node's name (required)", &name, NULL, 0},
        {"server", "IP:PORT", "rendezvous server (required)", &server, NULL, 0},
        {"peers", "A,B,...", "peer names; this node's own name is skipped (required)", &peers_s, NULL, 0},
        {"round", "K", "round number: session ids and the trial field (required)", &round_s, NULL, 0},
        {"suite", "NAME", "suite name in events (default: connectivity)", &suite, NULL, 0},
        {"timeout-ms", "MS", "time budget of one attempt, from its pairing (default: 3000)", &timeout_s, NULL, 0},
        {"start-window-ms", "MS", "how long an attempt waits for its peer to register (default: the timeout)", &window_s, NULL, 0},
        {"start-at", "EPOCH_MS", "start the round at this wall-clock time (nodes sharing a clock start together)", &start_at_s, NULL, 0},
        {"no-relay", NULL, "never fall back to the relay", NULL, &no_relay, 0},
        {"skip-direct", NULL, "debug: skip the direct phase", NULL, &skip_direct, 1},
        {"skip-punch", NULL, "debug: skip hole punching", NULL, &skip_punch, 1},
        {"force-relay", NULL, "debug: relay only (= --skip-direct --skip-punch)", NULL, &force_relay, 1},
        {"no-peer-reflexive", NULL, "debug: never switch to the address a peer is heard from", NULL, &no_reflexive, 1},
        {"fixed-windows", NULL, "debug: fixed shares of the timeout per phase, no STAT (the old schedule)", NULL, &fixed_windows, 1},
        {NULL, NULL, NULL, NULL, NULL, 0},
    };
    cli_parse("probe", PROBE_USAGE, argc, argv, options);
    probe_ctx c;
    memset(&c, 0, sizeof c);
    c.name = cli_required("probe", "name", name);
    if (!valid_name(c.name)) cli_fail("probe", "--name must match [A-Za-z0-9._-]{1,32}, got '%s'", c.name);
    if (endpoint_parse(cli_required("probe", "server", server), &c.server) != 0)
        cli_fail("probe", "--server must be IPv4:PORT, got '%s'", server);
    c.round = cli_number("probe", "round", cli_required("probe", "round", round_s), 0, 999999999L);
    c.timeout_ms = cli_number("probe", "timeout-ms", timeout_s, 200, 600000);
    c.start_window_ms = window_s ? cli_number("probe", "start-window-ms", window_s, 100, 600000) : c.timeout_ms;
    if (!valid_name(suite)) cli_fail("probe", "--suite must match [A-Za-z0-9._-]{1,32}");
    c.suite = suite;
    c.no_relay = no_relay;
    c.skip_direct = skip_direct || force_relay;
    c.skip_punch = skip_punch || force_relay;
    c.no_reflexive = no_reflexive;
    c.fixed_windows = fixed_windows;
    const char *peers[MAX_PEERS];
    char *list = strdup(cli_required("probe", "peers", peers_s));
    int npeers = parse_name_list(list, c.name, peers, MAX_PEERS);
    if (npeers < 0) cli_fail("probe", "--peers must be up to %d comma-separated names [A-Za-z0-9._-]", MAX_PEERS);
    if (local_ip_towards(&c.server, &c.local_ip) != 0) {
        fprintf(stderr, "vps-agent probe: no route to server %s: %s\n", server, strerror(errno));
        return 1;
    }
    double start_at = start_at_s ? (double)cli_number("probe", "start-at", start_at_s, 0, 99999999999999L) : 0;
    random_hex(c.instance_id, NONCE_HEX_LEN / 2);
    jitter_state = strtoull(c.instance_id, NULL, 16) | 1;
    install_stop_handlers();

    int count = 2 * npeers;
    attempt *attempts = calloc((size_t)(count ? count : 1), sizeof *attempts);
    struct pollfd *fds = calloc((size_t)(count ? count : 1), sizeof *fds);
    int *index = calloc((size_t)(count ? count : 1), sizeof *index);
    if (!attempts || !fds || !index) return 1;
    for (int i = 0; i < count; i++) {
        attempt *a = &attempts[i];
        a->role = i % 2 == 0 ? INITIATOR : RESPONDER;
        a->peer = peers[i / 2];
        if (a->role == INITIATOR) snprintf(a->session, sizeof a->session, "%ld:%s:%s", c.round, c.name, a->peer);
        else snprintf(a->session, sizeof a->session, "%ld:%s:%s", c.round, a->peer, c.name);
        random_hex(a->nonce, NONCE_HEX_LEN / 2);
        a->register_interval = REGISTER_INTERVAL_MS;
        a->server_rtt = -1;
        a->fd = udp_socket_nonblocking();
        if (a->fd < 0) {
            fprintf(stderr, "vps-agent probe: cannot open UDP socket: %s\n", strerror(errno));
            return 1;
        }
    }

    /* Sockets are open; wait for the round's start. On a lab host the nodes' commands start up
     * to seconds apart under load, and the traffic of the first slows the start of the rest. */
    if (start_at > 0) {
        double wait = start_at - wall_ms();
        if (wait > 600000.0) cli_fail("probe", "--start-at is %.0f s in the future", wait / 1000.0);
        if (wait > 0) {
            struct timespec ts = {(time_t)(wait / 1000.0), (long)(((long long)wait % 1000) * 1000000LL)};
            while (nanosleep(&ts, &ts) != 0 && !g_stop) {}
        }
    }
    c.started = mono_ms();
    for (int i = 0; i < count; i++) {
        attempt *a = &attempts[i];
        /* until paired: the start window (then "peer never registered" / "no answer from server") */
        a->deadline = c.started + (double)c.start_window_ms + (a->role == RESPONDER ? RESPONDER_GRACE_MS : 0.0);
        a->next_register = c.started;
    }

    while (!g_stop) {
        double now = mono_ms(), wake = now + 1000.0;
        nfds_t n = 0;
        for (int i = 0; i < count; i++) {
            attempt *a = &attempts[i];
            double due = tick(&c, a, now);
            if (a->finished && a->done_left == 0) continue;
            wake = min_time(wake, due);
            fds[n].fd = a->fd;
            fds[n].events = POLLIN;
            index[n++] = i;
        }
        if (n == 0) break;
        /* Timers coalesce to POLL_GRAIN_MS: 200 attempts pinging every 25 ms would otherwise wake
         * the process up to 8,000 times a second, each wake ticking every attempt and polling
         * every socket; 100 such processes share the lab host's 2 cores. */
        int timeout = wake > now ? (int)(wake - now) + 1 : 0;
        if (timeout > 0 && timeout < POLL_GRAIN_MS) timeout = POLL_GRAIN_MS;
        if (poll(fds, n, timeout) < 0 && errno != EINTR) break;
        now = mono_ms();
        for (nfds_t k = 0; k < n; k++) {
            if (!(fds[k].revents & POLLIN)) continue;
            for (;;) {
                char buf[MAX_DATAGRAM + 1];
                struct sockaddr_in src;
                socklen_t srclen = sizeof src;
                ssize_t len = recvfrom(fds[k].fd, buf, MAX_DATAGRAM, 0, (struct sockaddr *)&src, &srclen);
                if (len < 0) break;
                buf[len] = '\0';
                on_datagram(&c, &attempts[index[k]], buf, &src, now);
            }
        }
    }
    for (int i = 0; i < count; i++) close(attempts[i].fd);
    free(attempts);
    free(fds);
    free(index);
    free(list);
    return 0;
}
