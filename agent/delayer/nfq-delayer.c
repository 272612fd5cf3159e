// vps-test lab delayer: holds every packet of an NFQUEUE for a delay, then lets it go.
// Runs inside a lab's internet router namespace where the kernel has no sch_netem; nftables
// sends the forwarded packets to the queue (never with `bypass`: without this process they are
// dropped, not silently undelayed). Raw netlink, no library (docs/architecture.md, "the lab's
// internet: hops and latency").
//
//   nfq-delayer <queue> <default-delay-us>[~<jitter-us>] [<ip>=<region> ...]
//               [<region>-<region>=<delay-us>[~<jitter-us>] ...] [<ip>+<delay-us>[~<jitter-us>] ...]
//
// <ip>+<delay-us> adds a delay to every packet that ip sends (a node's own `impair: {delay}`).
// A packet waits the delay between its source's and its destination's regions (one direction:
// half a round trip; regions are small integers, a pair applies both ways), else the default.
// ~<jitter-us> makes that delay vary per packet, uniformly within +-jitter (never below 0); the
// source's own jitter adds to its path's. Jitter never reorders: packets of one delay class (base
// delay and jitter) leave in arrival order, so one drawn shorter than the packet before it waits
// for that one (docs/architecture.md, "the lab's internet: hops and latency"). Prints "ready" on
// stdout once bound; errors go to stderr and end the process with status 1.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HOSTS 1024
#define MAX_REGIONS 64
#define MAX_FIFOS 64
#define FIFO_CAP 131072

struct host { uint32_t addr; unsigned region; uint32_t extra_us, jitter_us; };
struct held { uint32_t id; uint64_t due_ns; };
/** One delay class: packets with the same base delay and jitter, released in arrival order. */
struct fifo { uint32_t delay_us, jitter_us; uint64_t last_due_ns; struct held *items; size_t head, len; };

static struct host hosts[MAX_HOSTS];
static size_t nhosts;
static uint32_t region_delay_us[MAX_REGIONS][MAX_REGIONS];
static uint32_t region_jitter_us[MAX_REGIONS][MAX_REGIONS];
static int region_set[MAX_REGIONS][MAX_REGIONS];
static struct fifo fifos[MAX_FIFOS];
static size_t nfifos;
static uint32_t default_delay_us, default_jitter_us;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static int fd;
static uint16_t queue_num;
static uint32_t seq;

static void die(const char *what) {
  fprintf(stderr, "nfq-delayer: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct nlattr *put_attr(struct nlmsghdr *nlh, uint16_t type, const void *data, uint16_t len) {
  struct nlattr *a = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));
  a->nla_type = type;
  a->nla_len = (uint16_t)(NLA_HDRLEN + len);
  memcpy((char *)a + NLA_HDRLEN, data, len);
  nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
  return a;
}

static struct nlmsghdr *start_msg(char *buf, uint16_t type, int ack) {
  memset(buf, 0, 256);
  struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
  nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
  nlh->nlmsg_type = (uint16_t)((NFNL_SUBSYS_QUEUE << 8) | type);
  nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | (ack ? NLM_F_ACK : 0));
  nlh->nlmsg_seq = ++seq;
  struct nfgenmsg *g = (struct nfgenmsg *)NLMSG_DATA(nlh);
  g->nfgen_family = AF_UNSPEC;
  g->version = NFNETLINK_V0;
  g->res_id = htons(queue_num);
  return nlh;
}

/** Sends a config message and waits for the kernel's answer (an error names what failed). */
static void config(struct nlmsghdr *nlh, const char *what) {
  if (send(fd, nlh, nlh->nlmsg_len, 0) < 0) die(what);
  char buf[8192];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) die(what);
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == nlh->nlmsg_seq) {
        struct nlmsgerr *e = (struct nlmsgerr *)NLMSG_DATA(h);
        if (e->error == 0) return;
        errno = -e->error;
        die(what);
      }
    }
  }
}

static void verdict(uint32_t id) {
  char buf[256];
  struct nlmsghdr *nlh = start_msg(buf, NFQNL_MSG_VERDICT, 0);
  struct nfqnl_msg_verdict_hdr v = { .verdict = htonl(NF_ACCEPT), .id = htonl(id) };
  put_attr(nlh, NFQA_VERDICT_HDR, &v, sizeof v);
  while (send(fd, nlh, nlh->nlmsg_len, 0) < 0) {
    if (errno != EINTR && errno != ENOBUFS && errno != EAGAIN) die("verdict");
  }
}

static struct host *host_of(uint32_t addr) {
  for (size_t i = 0; i < nhosts; i++) if (hosts[i].addr == addr) return &hosts[i];
  return NULL;
}

static struct host *add_host(uint32_t addr) {
  struct host *h = host_of(addr);
  if (h) return h;
  if (nhosts == MAX_HOSTS) { fprintf(stderr, "nfq-delayer: more than %d addresses\n", MAX_HOSTS); exit(2); }
  hosts[nhosts] = (struct host){ addr, 0, 0, 0 };
  return &hosts[nhosts++];
}

/** xorshift64*: per-packet jitter needs speed, not cryptography. */
static uint64_t next_random(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dull;
}

/** Base delay and jitter bound of a packet from src to dst. */
static void delay_for(uint32_t src, uint32_t dst, uint32_t *delay_us, uint32_t *jitter_us) {
  struct host *s = host_of(src), *d = host_of(dst);
  unsigned a = s ? s->region : 0, b = d ? d->region : 0;
  int pair = region_set[a][b];
  *delay_us = (pair ? region_delay_us[a][b] : default_delay_us) + (s ? s->extra_us : 0);
  *jitter_us = (pair ? region_jitter_us[a][b] : default_jitter_us) + (s ? s->jitter_us : 0);
}

static struct fifo *fifo_for(uint32_t delay_us, uint32_t jitter_us) {
  for (size_t i = 0; i < nfifos; i++) if (fifos[i].delay_us == delay_us && fifos[i].jitter_us == jitter_us) return &fifos[i];
  if (nfifos == MAX_FIFOS) { fprintf(stderr, "nfq-delayer: more than %d distinct delays\n", MAX_FIFOS); exit(1); }
  struct fifo *f = &fifos[nfifos++];
  f->delay_us = delay_us;
  f->jitter_us = jitter_us;
  f->last_due_ns = 0;
  f->items = calloc(FIFO_CAP, sizeof *f->items);
  if (!f->items) die("calloc");
  return f;
}

static void hold(uint32_t id, uint32_t src, uint32_t dst) {
  uint32_t d, j;
  delay_for(src, dst, &d, &j);
  if (d == 0 && j == 0) { verdict(id); return; }
  int64_t us = d;
  if (j > 0) us += (int64_t)(next_random() % (2ull * j + 1)) - (int64_t)j; // uniform in [d - j, d + j]
  if (us < 0) us = 0;
  struct fifo *f = fifo_for(d, j);
  if (f->len == FIFO_CAP) { verdict(f->items[f->head].id); f->head = (f->head + 1) % FIFO_CAP; f->len--; }
  uint64_t due = now_ns() + (uint64_t)us * 1000ull;
  if (due < f->last_due_ns) due = f->last_due_ns; // no reordering within a delay class
  f->last_due_ns = due;
  f->items[(f->head + f->len) % FIFO_CAP] = (struct held){ id, due };
  f->len++;
}

/** Lets every due packet go; returns ns until the next one is due (-1: none held). */
static int64_t release_due(void) {
  uint64_t now = now_ns();
  int64_t next = -1;
  for (size_t i = 0; i < nfifos; i++) {
    struct fifo *f = &fifos[i];
    while (f->len > 0 && f->items[f->head].due_ns <= now) {
      verdict(f->items[f->head].id);
      f->head = (f->head + 1) % FIFO_CAP;
      f->len--;
    }
    if (f->len > 0) {
      int64_t wait = (int64_t)(f->items[f->head].due_ns - now);
      if (next < 0 || wait < next) next = wait;
    }
  }
  return next;
}

static void on_packet(struct nlmsghdr *h) {
  struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(struct nfgenmsg)));
  int rem = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(struct nfgenmsg));
  uint32_t id = 0, src = 0, dst = 0;
  int have_id = 0;
  while (rem >= (int)sizeof *a && a->nla_len >= sizeof *a && a->nla_len <= rem) {
    void *data = (char *)a + NLA_HDRLEN;
    uint16_t type = a->nla_type & NLA_TYPE_MASK;
    if (type == NFQA_PACKET_HDR) {
      id = ntohl(((struct nfqnl_msg_packet_hdr *)data)->packet_id);
      have_id = 1;
    } else if (type == NFQA_PAYLOAD && a->nla_len >= NLA_HDRLEN + 20) {
      memcpy(&src, (char *)data + 12, 4);
      memcpy(&dst, (char *)data + 16, 4);
    }
    rem -= NLA_ALIGN(a->nla_len);
    a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
  }
  if (have_id) hold(id, src, dst);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: nfq-delayer <queue> <default-delay-us>[~<jitter-us>] [<ip>=<region> ...] [<region>-<region>=<delay-us>[~<jitter-us>] ...] [<ip>+<delay-us>[~<jitter-us>] ...]\n");
    return 2;
  }
  queue_num = (uint16_t)atoi(argv[1]);
  unsigned long dflt, djit = 0;
  if (sscanf(argv[2], "%lu~%lu", &dflt, &djit) < 1) { fprintf(stderr, "nfq-delayer: bad default delay \"%s\"\n", argv[2]); return 2; }
  default_delay_us = (uint32_t)dflt;
  default_jitter_us = (uint32_t)djit;
  for (int i = 3; i < argc; i++) {
    char addr[64];
    unsigned ra, rb;
    unsigned long us, jit = 0;
    struct in_addr in;
    if (sscanf(argv[i], "%u-%u=%lu~%lu", &ra, &rb, &us, &jit) >= 3 && ra > 0 && rb > 0 && ra < MAX_REGIONS && rb < MAX_REGIONS) {
      region_delay_us[ra][rb] = region_delay_us[rb][ra] = (uint32_t)us;
      region_jitter_us[ra][rb] = region_jitter_us[rb][ra] = (uint32_t)jit;
      region_set[ra][rb] = region_set[rb][ra] = 1;
    } else if (sscanf(argv[i], "%63[^=+]=%u", addr, &ra) == 2 && inet_pton(AF_INET, addr, &in) == 1 && ra > 0 && ra < MAX_REGIONS) {
      add_host(in.s_addr)->region = ra;
    } else if (sscanf(argv[i], "%63[^+]+%lu~%lu", addr, &us, &jit) >= 2 && inet_pton(AF_INET, addr, &in) == 1) {
      struct host *h = add_host(in.s_addr);
      h->extra_us = (uint32_t)us;
      h->jitter_us = (uint32_t)jit;
    } else {
      fprintf(stderr, "nfq-delayer: bad argument \"%s\" (expected <ip>=<region>, <region>-<region>=<delay-us>[~<jitter-us>] or <ip>+<delay-us>[~<jitter-us>], regions 1..%d)\n", argv[i], MAX_REGIONS - 1);
      return 2;
    }
  }
  struct timespec seed;
  clock_gettime(CLOCK_REALTIME, &seed);
  rng_state ^= (uint64_t)seed.tv_nsec * 0x100000001b3ull + (uint64_t)getpid();
  signal(SIGPIPE, SIG_IGN);

  fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
  if (fd < 0) die("netlink socket (is nfnetlink available?)");
  int big = 16 << 20, one = 1;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);
  struct sockaddr_nl local = { .nl_family = AF_NETLINK };
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) die("bind netlink");

  char buf[256];
  struct nlmsghdr *nlh = start_msg(buf, NFQNL_MSG_CONFIG, 1);
  struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND, .pf = htons(AF_INET) };
  put_attr(nlh, NFQA_CFG_CMD, &cmd, sizeof cmd);
  config(nlh, "bind queue (kernel module nfnetlink_queue missing, or the queue is taken)");
  nlh = start_msg(buf, NFQNL_MSG_CONFIG, 1);
  struct nfqnl_msg_config_params params = { .copy_range = htonl(20), .copy_mode = NFQNL_COPY_PACKET };
  put_attr(nlh, NFQA_CFG_PARAMS, &params, sizeof params);
  uint32_t maxlen = htonl(FIFO_CAP);
  put_attr(nlh, NFQA_CFG_QUEUE_MAXLEN, &maxlen, sizeof maxlen);
  config(nlh, "configure queue");
  printf("ready\n");
  fflush(stdout);

  static char rbuf[1 << 16];
  for (;;) {
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int64_t wait = release_due();
    struct timespec ts = { .tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000 };
    int r = ppoll(&p, 1, wait < 0 ? NULL : &ts, NULL);
    if (r < 0 && errno != EINTR) die("poll");
    if (r <= 0) continue;
    for (int burst = 0; burst < 256; burst++) {
      ssize_t n = recv(fd, rbuf, sizeof rbuf, MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
        if (errno == ENOBUFS) continue;
        die("recv");
      }
      for (struct nlmsghdr *h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
        if ((h->nlmsg_type & 0xff) == NFQNL_MSG_PACKET && (h->nlmsg_type >> 8) == NFNL_SUBSYS_QUEUE) on_packet(h);
      }
    }
  }
}
