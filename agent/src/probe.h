/* Shared by probe.c (the command, sockets, rendezvous, outcome) and phases.c (when each end
 * moves from direct to hole punching to the relay). See ../PROTOCOL.md, "Probing". */
#ifndef VPS_AGENT_PROBE_H
#define VPS_AGENT_PROBE_H

#include "agent.h"

#define PING_RING 64

enum role { INITIATOR, RESPONDER };
enum path { PATH_DIRECT, PATH_PUNCH, PATH_RELAY, PATH_NONE };
extern const char *const PATH_NAMES[3];

typedef struct {
    int seq;
    int path;
    double sent_at;
} ping_record;

typedef struct {
    /* identity */
    int role;
    const char *peer; /* the other end's name */
    char session[KEY_MAX_LEN];
    char nonce[NONCE_HEX_LEN + 1];
    int fd;
    /* rendezvous */
    int server_answered;
    int paired;
    double next_register, register_interval;
    double first_register_at, server_rtt; /* first REG to first answer: an upper bound, -1 = none */
    struct sockaddr_in peer_addr; /* observed by the server, then peer-reflexive */
    int peer_public, self_public, relay_offered, relay_refused;
    char peer_nonce[NONCE_HEX_LEN + 1];
    double deadline;  /* start window until paired, then paired_at + timeout (+ grace) */
    double paired_at; /* when PEER arrived: the attempt's time starts here */
    /* phases (phases.c). `phase` is this end's own: the initiator's path being tried; for the
     * responder PATH_DIRECT = quiet (only answering), PATH_PUNCH = punching, PATH_RELAY = done
     * punching (the initiator moved on). */
    int phase;
    double phase_started, phase_cap; /* the cap: the latest end, the fixed share of the timeout */
    int try_direct, status_channel;  /* status_channel: STAT messages can go through the relay */
    int sent_in_phase;               /* direct/punch PINGs this end sent in the current phase */
    int heard;                       /* valid direct PINGs this end received from the peer */
    double next_ping, ping_interval, next_stat, stat_interval;
    int stat_left; /* initiator: STAT copies still to send (it only says "punching now") */
    /* the peer's STAT (largest values seen: datagrams may be reordered) */
    int peer_phase, peer_sent, peer_heard;
    double peer_rtt; /* the peer's server_rtt, from its STAT */
    double peer_stat_at; /* when the latest STAT arrived; 0 = none yet */
    double ready_at;     /* initiator: when the peer reported enough punching; 0 = not yet */
    int ready_seq;       /* the initiator's last PING seq at ready_at */
    /* initiator state */
    int seq;
    ping_record pings[PING_RING];
    unsigned tried; /* bit per path */
    int success_path;
    int done_left;
    double next_done;
    int finished; /* 1: result known (event printed); the DONE copies may still be going out */
} attempt;

typedef struct {
    const char *name;
    const char *suite;
    long round;
    long timeout_ms;
    long start_window_ms; /* how long an attempt waits for its peer to register */
    struct sockaddr_in server;
    struct in_addr local_ip; /* our address towards the server, for the "public" check */
    int no_relay, skip_direct, skip_punch;
    int no_reflexive; /* debug: keep the server-observed endpoint (shows why switching matters) */
    int fixed_windows; /* debug: the fixed shares of the timeout, no STAT (the old schedule) */
    char instance_id[NONCE_HEX_LEN + 1]; /* per process: lets the evaluator spot self-replies */
    double started;
} probe_ctx;

/* probe.c */
void send_to_peer(const probe_ctx *c, attempt *a, const char *msg, int via_relay);
void report_failure(const probe_ctx *c, attempt *a);

/* phases.c */
void phases_start(const probe_ctx *c, attempt *a, double now);      /* PEER arrived */
double phases_tick(const probe_ctx *c, attempt *a, double now);     /* paired, not finished */
void phases_on_stat(const probe_ctx *c, attempt *a, char **tok, int ntok, double now);
void phases_on_direct_ping(const probe_ctx *c, attempt *a, double now);
void phases_on_relayed_ping(const probe_ctx *c, attempt *a);

#endif
