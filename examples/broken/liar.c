/*
 * A dishonest subject for vps-test's broken examples (built by vps-test's own C builder with
 * zig): each mode lies in one way, and vps-test must catch it.
 *
 *   liar connect PEER                      prints "connected to PEER", exits 0, sends nothing
 *   liar events NODE ROUND PEERS SUITE [SIGNER]
 *                                          success events for every peer, signed as SIGNER
 *   liar throughput PEER FAIL_TO           "93.1 Mbit/s", except towards FAIL_TO: exit 1
 *   liar listen NODE                       gossip service: logs "got <datagram>" from UDP 7100
 *   liar publish MSG ORIGIN PEER_IPS SILENT
 *                                          sends "MSG from ORIGIN" to every peer, unless ORIGIN is SILENT
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int events(const char *node, const char *round, char *peers, const char *suite, const char *signer) {
    for (char *peer = strtok(peers, ","); peer; peer = strtok(NULL, ",")) {
        printf("{\"v\":1,\"type\":\"attempt\",\"suite\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"path\":\"direct\",\"ok\":true,"
               "\"rtt_ms\":0.5,\"from_id\":\"%s-%s\",\"to_id\":\"%s-%s\",\"trial\":%s}\n",
               suite, signer ? signer : node, peer, signer ? signer : node, round, peer, round, round);
    }
    return 0;
}

static int listen_udp(const char *node) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(7100), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("bind 7100");
        return 1;
    }
    printf("%s listening on 7100\n", node);
    fflush(stdout);
    char buf[1500];
    for (;;) {
        ssize_t n = recv(s, buf, sizeof buf - 1, 0);
        if (n <= 0) continue;
        buf[n] = '\0';
        printf("got %s\n", buf);
        fflush(stdout);
    }
}

static int publish(const char *msg, const char *origin, char *ips, const char *silent) {
    if (strcmp(origin, silent) != 0) {
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        char text[256];
        snprintf(text, sizeof text, "%s from %s", msg, origin);
        for (int round = 0; round < 3; round++) {
            char copy[4096];
            snprintf(copy, sizeof copy, "%s", ips);
            for (char *ip = strtok(copy, ","); ip; ip = strtok(NULL, ",")) {
                struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(7100)};
                if (inet_pton(AF_INET, ip, &a.sin_addr) == 1) sendto(s, text, strlen(text), 0, (struct sockaddr *)&a, sizeof a);
            }
            usleep(50000);
        }
    }
    printf("published %s\n", msg); /* the silent origin's lie: nothing was sent */
    return 0;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "connect") && argc > 2) return printf("connected to %s\n", argv[2]) < 0;
    if (!strcmp(mode, "events") && argc > 5) return events(argv[2], argv[3], argv[4], argv[5], argc > 6 ? argv[6] : NULL);
    if (!strcmp(mode, "throughput") && argc > 3) {
        if (!strcmp(argv[2], argv[3])) {
            fprintf(stderr, "connect to %s: connection refused\n", argv[2]);
            return 1;
        }
        puts("sent 116 MB in 10.0 s: 93.1 Mbit/s");
        return 0;
    }
    if (!strcmp(mode, "listen") && argc > 2) return listen_udp(argv[2]);
    if (!strcmp(mode, "publish") && argc > 5) return publish(argv[2], argv[3], argv[4], argv[5]);
    fprintf(stderr, "usage: liar connect|events|throughput|listen|publish ...\n");
    return 2;
}
