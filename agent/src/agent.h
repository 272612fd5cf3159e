/*
 * vps-agent: the reference probe agent of vps-test.
 *
 * Shared declarations: time, addresses, tokens, command-line parsing, result events.
 * Every .c file includes this header first, so the feature macros below apply everywhere.
 * The wire protocol is documented in ../PROTOCOL.md.
 */
#ifndef VPS_AGENT_H
#define VPS_AGENT_H

#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L

#include <netinet/in.h>
#include <stddef.h>

#define AGENT_VERSION "0.1.0"

/* Protocol limits. Names are short identifiers so they fit in session ids and JSON unescaped. */
#define NAME_MAX_LEN 32
#define KEY_MAX_LEN 96   /* session id "<round>:<from>:<to>" or gossip member key */
#define NONCE_HEX_LEN 16 /* 64-bit random value, hex */
#define MAX_DATAGRAM 1400
#define MAX_PEERS 256

/* ---- time (util.c) ---- */
double mono_ms(void); /* monotonic clock, for timeouts and RTTs */
double wall_ms(void); /* realtime clock, for gossip latency (lab nodes share one clock) */

/* ---- addresses (util.c); IPv4 only ---- */
int endpoint_parse(const char *text, struct sockaddr_in *out);  /* "ip:port" -> 0, or -1 */
void endpoint_format(const struct sockaddr_in *addr, char *buf, size_t len); /* "ip:port" */
int endpoint_equal(const struct sockaddr_in *a, const struct sockaddr_in *b);
int udp_socket_nonblocking(void);   /* bound to 0.0.0.0:<ephemeral>; -1 on error */
int local_ip_towards(const struct sockaddr_in *remote, struct in_addr *out); /* route lookup */
int send_text(int fd, const struct sockaddr_in *to, const char *text);

/* ---- tokens and identifiers (util.c) ---- */
void random_hex(char *out, size_t nbytes); /* writes 2*nbytes hex chars + NUL */
int valid_name(const char *s);            /* [A-Za-z0-9._-]{1,32} */
/* Splits buf in place on single spaces into at most max tokens; the last token keeps the rest
 * of the line (so relayed inner messages survive). Returns the number of tokens. */
int split_tokens(char *buf, char **tokens, int max);
/* Splits a comma-separated list of names, skipping `self` and duplicates. Returns count or -1. */
int parse_name_list(char *list, const char *self, const char **names, int max);

/* ---- command line (cli.c) ---- */
typedef struct {
    const char *name;   /* long option without the dashes, e.g. "port" */
    const char *arg;    /* placeholder for the help text; NULL for a boolean flag */
    const char *help;
    const char **value; /* set for options with an argument */
    int *flag;          /* set to 1 for flags */
    int hidden;         /* debug options: accepted, not listed in --help */
} cli_option;

/* Parses argv (after the subcommand). Prints help and exits 0 on --help; prints a message on
 * stderr and exits 2 on unknown options, missing values or stray arguments. */
void cli_parse(const char *command, const char *usage, int argc, char **argv, cli_option *options);
void cli_fail(const char *command, const char *fmt, ...); /* message on stderr, exit 2 */
const char *cli_required(const char *command, const char *option, const char *value);
long cli_number(const char *command, const char *option, const char *value, long min, long max);

/* ---- result events, protocol v1, one JSON line each on stdout (events.c) ---- */
void event_attempt(const char *suite, const char *from, const char *to, const char *path, int ok,
                   double rtt_ms, const char *error, long trial, const char *from_id,
                   const char *to_id);
void event_throughput(const char *from, const char *to, unsigned long long bytes, double seconds,
                      double mbps);
void event_gossip(const char *msg, const char *origin, const char *node, int hops,
                  double latency_ms);
void event_metric(const char *node, const char *name, double value);

/* ---- subcommands ---- */
int cmd_serve(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_throughput(int argc, char **argv);
int cmd_gossip(int argc, char **argv);

/* ---- signals (util.c): SIGINT/SIGTERM set this flag so loops end cleanly ---- */
extern volatile int g_stop;
void install_stop_handlers(void);

#endif
