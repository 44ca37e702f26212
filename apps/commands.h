/* commands.h — every rramsim subcommand, one entry point each (apps/cmd_<name>.c). */
#ifndef RRAMSIM_COMMANDS_H
#define RRAMSIM_COMMANDS_H

#ifdef __cplusplus
extern "C" {
#endif

/* int cli_cmd_<name>(int argc, char **argv);  -- one per cmd_<name>.c */
int cli_cmd_trace(int argc, char **argv);

#ifdef RRAMSIM_HAVE_SIM
int cli_cmd_sim(int argc, char **argv);    /* cmd_sim.cpp: the SystemC memory system */
int cli_cmd_device(int argc, char **argv); /* cmd_device.cpp: device model fit / info */
int cli_cmd_run(int argc, char **argv);    /* cmd_run.cpp: a BNN on the simulated RRAM */
int cli_cmd_sweep(int argc, char **argv);  /* cmd_sweep.cpp: experiment grids, shards, merge */
int cli_cmd_plot(int argc, char **argv);   /* cmd_plot.cpp: gnuplot figures of sweep results */
int cli_cmd_faults(int argc, char **argv); /* cmd_faults.cpp: fault-trace replay and analysis */
int cli_cmd_replay(int argc, char **argv); /* cmd_replay.cpp: trace player on the memory system */
#endif
int cli_cmd_model(int argc, char **argv); /* cmd_model.c: model info | random */
int cli_cmd_eval(int argc, char **argv);  /* cmd_eval.c: accuracy with bit errors */

#ifdef RRAMSIM_HAVE_BET
int cli_cmd_train(int argc, char **argv);  /* cmd_train.c (needs libbet) */
int cli_cmd_metric(int argc, char **argv); /* cmd_metric.c: BET margin metrics (needs libbet) */
int cli_cmd_predict(int argc,
                    char **argv); /* cmd_predict.c: analytic accuracy vs BER (needs libbet) */
int cli_cmd_experiment(
    int argc, char **argv); /* cmd_experiment.c: the seed study end to end (needs libbet) */
#endif

#ifdef __cplusplus
}
#endif
#endif /* RRAMSIM_COMMANDS_H */
