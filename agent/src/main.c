/* vps-agent entry point: dispatches to a subcommand. */
#include "agent.h"

#include <stdio.h>
#include <string.h>

static const char *const USAGE =
    "usage: vps-agent <command> [options]\n"
    "\n"
    "The reference probe agent of vps-test. Results are printed as JSON lines (events v1).\n"
    "\n"
    "commands:\n"
    "  serve       UDP rendezvous + relay server and TCP throughput sink (bootstrap nodes)\n"
    "  probe       one connectivity round: every ordered pair, direct / hole punch / relay\n"
    "  throughput  TCP stream to a server's sink for N seconds\n"
    "  gossip      flood one message through the server's relay and report delivery\n"
    "  version     print the version\n"
    "\n"
    "Run 'vps-agent <command> --help' for the options of a command.\n";

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *command = argv[1];
    /* Subcommands see only their own options. */
    int sub_argc = argc - 2;
    char **sub_argv = argv + 2;
    if (strcmp(command, "serve") == 0) return cmd_serve(sub_argc, sub_argv);
    if (strcmp(command, "probe") == 0) return cmd_probe(sub_argc, sub_argv);
    if (strcmp(command, "throughput") == 0) return cmd_throughput(sub_argc, sub_argv);
    if (strcmp(command, "gossip") == 0) return cmd_gossip(sub_argc, sub_argv);
    if (strcmp(command, "version") == 0 || strcmp(command, "--version") == 0) {
        printf("vps-agent %s\n", AGENT_VERSION);
        return 0;
    }
    fprintf(stderr, "vps-agent: unknown command '%s'\n\n%s", command, USAGE);
    return 2;
}
