/* rramsim.c — the one CLI: dispatches `rramsim <command> ...` to its subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "memlimit.h"
#include "output.h"

typedef struct cli_command {
  const char *name;
  const char *summary;
  cli_cmd_fn fn;
} cli_command;

static int cmd_version(int argc, char **argv) {
  (void)argc;
  (void)argv;
  printf("rramsim %s\n", cli_version());
  return CLI_EXIT_OK;
}

static const cli_command commands[] = {
    {"model", "inspect a model file, or write a random-weight one", cli_cmd_model},
    {"eval", "accuracy of a model on a data set, with bit errors", cli_cmd_eval},
#ifdef RRAMSIM_HAVE_BET
    {"train", "train a BNN (optionally flip-aware) and export a model file", cli_cmd_train},
    {"metric", "bit error tolerance margins of a model (no fault injection)", cli_cmd_metric},
    {"predict", "analytic accuracy vs weight bit error rate (no fault injection)", cli_cmd_predict},
    {"experiment", "run the seed study (train, Monte-Carlo, metrics, report): experiment paper",
     cli_cmd_experiment},
#endif
#ifdef RRAMSIM_HAVE_SIM
    {"sim", "simulate the RRAM memory system under synthetic traffic", cli_cmd_sim},
    {"device", "fit the analytic device model; describe a device preset", cli_cmd_device},
    {"run", "run a BNN programmed into the simulated RRAM: accuracy, energy, time", cli_cmd_run},
    {"sweep", "run an experiment grid (functional or timed), resumable, sharded", cli_cmd_sweep},
    {"plot", "plot sweep results: accuracy vs energy, vs BER, latency", cli_cmd_plot},
    {"replay", "replay an access trace (STL/RSTL/binary) against a memory config", cli_cmd_replay},
    {"faults", "replay or analyze a recorded fault trace on a model", cli_cmd_faults},
#endif
    {"trace", "convert access traces between formats, print trace statistics", cli_cmd_trace},
    {"version", "print the version", cmd_version},
};

static void usage(FILE *f) {
  fprintf(f,
          "rramsim %s — RRAM memory-system simulator with a binarized-neural-network workload\n\n"
          "usage: rramsim <command> [options]   (rramsim <command> --help for details)\n\n"
          "commands:\n",
          cli_version());
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; ++i)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return CLI_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    usage(stdout);
    return cli_stdout_check(NULL);
  }
  if (!strcmp(cmd, "--version")) {
    cmd_version(argc - 1, argv + 1);
    return cli_stdout_check(NULL);
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; ++i)
    if (!strcmp(cmd, commands[i].name)) {
#ifdef RRAMSIM_HAVE_SIM
      cli_install_oom_handler(commands[i].name);
#endif
      /* The output discipline (output.h): results on stdout must have been written, and a
       * failed command removes the outputs it created. */
      int rc = commands[i].fn(argc - 1, argv + 1);
      if (rc == CLI_EXIT_OK) rc = cli_stdout_check(commands[i].name);
      if (rc != CLI_EXIT_OK) cli_outputs_rollback();
      return rc;
    }
  fprintf(stderr, "rramsim: unknown command '%s'\n", cmd);
  usage(stderr);
  return CLI_EXIT_USAGE;
}
