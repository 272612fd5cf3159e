/*
 * When each end of a probe attempt moves on: direct -> hole_punch -> relay.
 *
 * The windows are sized from what the attempt shows, not from fixed shares of the timeout:
 * each end tells the other, through the relay, how far it is (`STAT`: its phase, the punch
 * PINGs it sent, the direct PINGs it heard). The initiator leaves
 *   direct      once it has sent a few PINGs and a STAT the responder sent well after the first
 *               of them says none arrived (the responder is alive and the path is not there);
 *   hole_punch  once both ends have sent a few punch PINGs, nothing has crossed either way,
 *               and a STAT the responder sent after that still says nothing arrived.
 * Whatever crossed in either direction keeps the phase open (an answer is on its way). The
 * punch is never skipped: whether a pair punches is what the NAT matrix measures. The fixed
 * shares (0.15 T direct, 0.35 T punch) stay as caps, and are the whole schedule when no STAT
 * can travel (no relay) or arrives. See ../PROTOCOL.md, "Probing".
 */
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_INTERVAL_MS 25.0   /* direct and punch PINGs */
#define STAT_INTERVAL_MS 45.0    /* the responder's STATs, once there is something to say */
#define STAT_COPIES 3            /* the initiator's "punching now", PROBE_INTERVAL_MS apart */
#define RELAY_INTERVAL_MS 50.0   /* relay PINGs, doubling up to RELAY_INTERVAL_MAX_MS */
#define RELAY_INTERVAL_MAX_MS 400.0
#define HEARD_BACKOFF 4.0        /* a responder that hears the initiator punches 4x slower */
#define DIRECT_MIN_PINGS 3
#define DIRECT_PROOF_MS 100.0    /* a STAT this long after the first direct PING proves absence */
#define PUNCH_MIN_PINGS 4        /* per end: a lost packet or two does not decide the matrix */
#define PUNCH_SETTLE_MS 40.0     /* after "enough punching", how much later the proof must be */
#define DIRECT_FIRST_STAT_MS 110.0 /* the responder's first STAT in direct: after the proof time */
#define PUNCH_SETTLE_PINGS 2     /* initiator PINGs sent after the peer's NAT was surely open */
#define BACKOFF_AFTER_PINGS 8    /* direct/punch PINGs at the full rate; then each interval x1.5 */
#define PING_INTERVAL_MAX_MS 200.0
#define STAT_INTERVAL_MAX_MS 360.0 /* the responder's STATs double from STAT_INTERVAL_MS up to this */

static double min_time(double a, double b) { return a < b ? a : b; }

static int relay_usable(const probe_ctx *c, const attempt *a) {
    return !c->no_relay && a->relay_offered && !a->relay_refused;
}

/* The phase after `phase` for this attempt: punching is skipped only by the debug flags. */
static int next_phase(const probe_ctx *c, const attempt *a, int phase) {
    if (phase == PATH_DIRECT && !c->skip_punch) return PATH_PUNCH;
    if (a->role == RESPONDER) return PATH_RELAY; /* the responder's "relay" is: done punching */
    return relay_usable(c, a) ? PATH_RELAY : PATH_NONE;
}

static void enter_phase(const probe_ctx *c, attempt *a, int phase, double now) {
    double t = (double)c->timeout_ms;
    double initiator_deadline = a->paired_at + t;
    a->phase = phase;
    a->phase_started = now;
    a->sent_in_phase = 0;
    a->ready_at = 0;
    a->next_ping = now;
    /* STATs only when they can decide something (most pairs finish before the first one): the
     * responder's first in direct once absence could be proven, in punch once it sent enough;
     * the initiator's only to wake a responder that waits quietly for the end of direct. */
    a->next_stat = a->role == RESPONDER && phase == PATH_DIRECT ? now + DIRECT_FIRST_STAT_MS : now + 1e9;
    if (a->role == INITIATOR) a->stat_left = phase == PATH_PUNCH && a->try_direct ? STAT_COPIES : 0;
    if (a->role == INITIATOR && a->stat_left) a->next_stat = now;
    a->ping_interval = phase == PATH_RELAY ? RELAY_INTERVAL_MS : PROBE_INTERVAL_MS;
    a->stat_interval = STAT_INTERVAL_MS;
    if (phase == PATH_DIRECT) {
        a->phase_cap = now + 0.15 * t;
    } else if (phase == PATH_PUNCH && relay_usable(c, a)) {
        double relay_start_latest = initiator_deadline - 0.25 * t; /* the relay always gets its turn */
        a->phase_cap = min_time(now + 0.35 * t, relay_start_latest > now ? relay_start_latest : now);
    } else {
        a->phase_cap = a->deadline; /* nothing after this phase: it gets all the time left */
    }
    if (a->phase_cap > a->deadline) a->phase_cap = a->deadline;
}

void phases_start(const probe_ctx *c, attempt *a, double now) {
    int responder_public = a->role == INITIATOR ? a->peer_public : a->self_public;
    a->try_direct = responder_public && !c->skip_direct;
    a->status_channel = relay_usable(c, a) && !c->fixed_windows;
    a->peer_phase = -1;
    int first = a->try_direct ? PATH_DIRECT : next_phase(c, a, PATH_DIRECT);
    enter_phase(c, a, first, now);
}

/* How much later than a direct packet a STAT must arrive to speak for it: the STAT went through
 * the server, so it may have been written up to both ends' server round trips earlier. */
static double stat_lag(const attempt *a) {
    return 2.0 * ((a->server_rtt > 0 ? a->server_rtt : 0) + a->peer_rtt);
}

/* direct: enough PINGs, and a STAT from well after the first of them says none arrived. */
static int direct_disproved(const attempt *a) {
    return a->status_channel && a->sent_in_phase >= DIRECT_MIN_PINGS && a->peer_heard == 0 &&
           a->peer_stat_at >= a->phase_started + DIRECT_PROOF_MS + stat_lag(a);
}

/* hole_punch: both ends punched enough, nothing crossed, and a later STAT confirms it. */
static int punch_disproved(const attempt *a) {
    return a->status_channel && a->ready_at > 0 && a->sent_in_phase >= PUNCH_MIN_PINGS && a->heard == 0 &&
           a->peer_heard == 0 && a->seq - a->ready_seq >= PUNCH_SETTLE_PINGS &&
           a->peer_stat_at >= a->ready_at + PUNCH_SETTLE_MS + stat_lag(a);
}

static void send_stat(const probe_ctx *c, attempt *a, double now) {
    char msg[MAX_DATAGRAM];
    snprintf(msg, sizeof msg, "VT1 STAT %s %s %s %s %d %d %d", a->session, c->name, a->nonce,
             PATH_NAMES[a->phase], a->phase == PATH_PUNCH ? a->sent_in_phase : 0, a->heard,
             a->server_rtt > 0 ? (int)a->server_rtt + 1 : 0);
    send_to_peer(c, a, msg, 1);
    /* The responder's STATs back off: at 100 nodes a STAT every 45 ms from each of ~1,000 pairs
     * that cannot punch was most of what the server relayed. The first two decide most windows. */
    if (a->role == RESPONDER) {
        a->next_stat = now + a->stat_interval;
        a->stat_interval = min_time(a->stat_interval * 2, STAT_INTERVAL_MAX_MS);
    } else {
        a->next_stat = now + PROBE_INTERVAL_MS;
        a->stat_left--;
    }
}

static void send_ping(const probe_ctx *c, attempt *a, double now) {
    char msg[MAX_DATAGRAM];
    int seq = ++a->seq;
    snprintf(msg, sizeof msg, "VT1 PING %s %s %s %d", a->session, c->name, a->nonce, seq);
    if (a->role == INITIATOR) {
        ping_record *r = &a->pings[seq % PING_RING];
        r->seq = seq;
        r->path = a->phase;
        r->sent_at = now;
        a->tried |= 1u << a->phase;
    }
    send_to_peer(c, a, msg, a->phase == PATH_RELAY);
    a->sent_in_phase++;
    if (a->role == RESPONDER && a->phase == PATH_PUNCH && a->sent_in_phase == PUNCH_MIN_PINGS && a->next_stat > now)
        a->next_stat = now; /* enough punching: say so, then every STAT_INTERVAL_MS */
    double interval = a->ping_interval;
    if (a->phase == PATH_RELAY) a->ping_interval = min_time(a->ping_interval * 2, RELAY_INTERVAL_MAX_MS);
    /* Past the PINGs the windows' decisions need, a path that has not answered is unlikely to:
     * later PINGs back off, so 100 nodes' pairs that cannot punch do not flood 2 cores. */
    else if (a->sent_in_phase >= BACKOFF_AFTER_PINGS) a->ping_interval = min_time(a->ping_interval * 1.5, PING_INTERVAL_MAX_MS);
    if (a->role == RESPONDER && a->heard > 0) interval *= HEARD_BACKOFF;
    a->next_ping = now + interval;
}

static double initiator_tick(const probe_ctx *c, attempt *a, double now) {
    if (a->phase == PATH_DIRECT && (now >= a->phase_cap || direct_disproved(a)))
        enter_phase(c, a, next_phase(c, a, PATH_DIRECT), now);
    if (a->phase == PATH_PUNCH && (now >= a->phase_cap || punch_disproved(a)))
        enter_phase(c, a, next_phase(c, a, PATH_PUNCH), now);
    if (a->phase == PATH_RELAY && !relay_usable(c, a)) a->phase = PATH_NONE;
    if (a->phase == PATH_NONE || now >= a->deadline) {
        report_failure(c, a);
        return now + 1000.0;
    }
    if (now >= a->next_ping) send_ping(c, a, now);
    /* The responder learns from STAT when to start punching (in direct it has nothing to learn;
     * in relay the relayed PINGs say it). */
    int stat_due = a->status_channel && a->phase == PATH_PUNCH && a->stat_left > 0;
    if (stat_due && now >= a->next_stat) send_stat(c, a, now);
    double wake = min_time(a->next_ping, min_time(a->phase_cap, a->deadline));
    if (stat_due && a->stat_left > 0) wake = min_time(wake, a->next_stat);
    return wake;
}

static double responder_tick(const probe_ctx *c, attempt *a, double now) {
    if (a->phase == PATH_DIRECT && (now >= a->phase_cap || a->peer_phase >= PATH_PUNCH))
        enter_phase(c, a, next_phase(c, a, PATH_DIRECT), now);
    if (a->phase == PATH_PUNCH && (now >= a->phase_cap || a->peer_phase >= PATH_RELAY))
        enter_phase(c, a, PATH_RELAY, now);
    double wake = a->deadline;
    if (a->phase == PATH_PUNCH) { /* the responder punches too, so its own NAT opens */
        if (now >= a->next_ping) send_ping(c, a, now);
        wake = min_time(wake, min_time(a->next_ping, a->phase_cap));
    } else if (a->phase == PATH_DIRECT) {
        wake = min_time(wake, a->phase_cap); /* quiet: a success must be the initiator's alone */
    }
    if (a->status_channel && a->phase != PATH_RELAY) {
        if (now >= a->next_stat) send_stat(c, a, now);
        wake = min_time(wake, a->next_stat);
    }
    return wake;
}

double phases_tick(const probe_ctx *c, attempt *a, double now) {
    return a->role == INITIATOR ? initiator_tick(c, a, now) : responder_tick(c, a, now);
}

static int phase_of(const char *name) {
    for (int p = PATH_DIRECT; p <= PATH_RELAY; p++)
        if (strcmp(name, PATH_NAMES[p]) == 0) return p;
    return -1;
}

/* STAT <session> <name> <nonce> <phase> <punch-sent> <heard> <rtt-ms>, checked as the peer's. */
void phases_on_stat(const probe_ctx *c, attempt *a, char **tok, int ntok, double now) {
    (void)c;
    if (ntok != 9 || !a->paired) return;
    int phase = phase_of(tok[5]);
    int sent = atoi(tok[6]), heard = atoi(tok[7]), rtt = atoi(tok[8]);
    if (phase < 0 || phase < a->peer_phase || sent < 0 || heard < 0 || rtt < 0 || rtt > 60000) return; /* stale or bad */
    if (rtt > a->peer_rtt) a->peer_rtt = rtt;
    if (phase > a->peer_phase) a->peer_sent = 0;
    a->peer_phase = phase;
    if (sent > a->peer_sent) a->peer_sent = sent;
    if (heard > a->peer_heard) a->peer_heard = heard;
    a->peer_stat_at = now;
    if (a->role == INITIATOR && a->phase == PATH_PUNCH && a->ready_at == 0 && phase == PATH_PUNCH &&
        a->peer_sent >= PUNCH_MIN_PINGS) {
        /* The peer's NAT is open towards us by now: PINGs from here on must get through. */
        a->ready_at = now;
        a->ready_seq = a->seq;
        a->next_ping = now;
    }
}

void phases_on_direct_ping(const probe_ctx *c, attempt *a, double now) {
    (void)c;
    (void)now;
    a->heard++;
    if (a->role == RESPONDER && a->phase != PATH_RELAY) a->next_stat = now; /* tell it at once */
}

void phases_on_relayed_ping(const probe_ctx *c, attempt *a) {
    (void)c;
    if (a->role == RESPONDER && a->peer_phase < PATH_RELAY) a->peer_phase = PATH_RELAY;
}
