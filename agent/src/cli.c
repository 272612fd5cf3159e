/* Command-line parsing for the subcommands: long options only ("--port 9000" or "--port=9000"),
 * generated --help text, and exit code 2 with a one-line message for any bad argument. */
#include "agent.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_fail(const char *command, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "vps-agent %s: ", command);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see: vps-agent %s --help)\n", command);
    va_end(ap);
    exit(2);
}

static void print_help(const char *usage, const cli_option *options) {
    printf("usage: vps-agent %s\noptions:\n", usage);
    for (const cli_option *o = options; o->name; o++) {
        if (o->hidden) continue;
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        printf("  %-26s %s\n", left, o->help);
    }
    printf("  %-26s %s\n", "--help", "show this help");
}

void cli_parse(const char *command, const char *usage, int argc, char **argv, cli_option *options) {
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_help(usage, options);
            exit(0);
        }
        if (strncmp(arg, "--", 2) != 0) cli_fail(command, "unexpected argument '%s'", arg);
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        cli_option *match = NULL;
        for (cli_option *o = options; o->name; o++) {
            if (strlen(o->name) == name_len && strncmp(o->name, name, name_len) == 0) match = o;
        }
        if (!match) cli_fail(command, "unknown option '%.*s'", (int)(name_len + 2), arg);
        if (!match->arg) {
            if (eq) cli_fail(command, "option --%s takes no value", match->name);
            *match->flag = 1;
        } else if (eq) {
            *match->value = eq + 1;
        } else {
            if (i + 1 >= argc) cli_fail(command, "option --%s needs a value (%s)", match->name, match->arg);
            *match->value = argv[++i];
        }
    }
}

const char *cli_required(const char *command, const char *option, const char *value) {
    if (!value || !*value) cli_fail(command, "missing required option --%s", option);
    return value;
}

long cli_number(const char *command, const char *option, const char *value, long min, long max) {
    char *end = NULL;
    long n = strtol(value, &end, 10);
    if (!end || *end != '\0' || end == value || n < min || n > max)
        cli_fail(command, "--%s must be a whole number from %ld to %ld, got '%s'", option, min, max, value);
    return n;
}
