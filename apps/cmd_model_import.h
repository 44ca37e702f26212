/* cmd_model_import.h — `rramsim model import|export`: run by the Python package. */
#ifndef RRAMSIM_CMD_MODEL_IMPORT_H
#define RRAMSIM_CMD_MODEL_IMPORT_H

/* argv[0] is "import" or "export"; returns the exit code (only on failure to start python). */
int cli_cmd_model_pyimport(int argc, char **argv);

#endif
