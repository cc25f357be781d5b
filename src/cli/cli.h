/* The command-line face: one file per subcommand, a table in ward.c. */
#pragma once

#define EXIT_WARD_FAILED 125

int cmd_run(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_mcp(int argc, char **argv);
/* --pool N of ward serve and ward mcp: 0 to WARD_POOL_MAX; says what is
 * wrong and returns -EINVAL otherwise. */
int cli_parse_pool(const char *arg, unsigned *ret);

/* Prints "ward: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
