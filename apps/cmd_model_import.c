/* cmd_model_import.c — `rramsim model import NET.onnx|NET.npz --out NET.bnn` and
 * `rramsim model export NET.bnn --npz OUT.npz`.
 *
 * Both run the Python package (python/rramsim: `python3 -c <bootstrap> import|export ...`, which
 * imports rramsim.cli under a one-line error handler): ONNX is
 * a protobuf whose reading, checking and constant evaluation the onnx and numpy packages do
 * completely and correctly, and the folding code is the one the Python API uses, so the CLI and
 * Python import identically. The process is replaced by python3 (exec), so its exit code and
 * messages are the command's. python3 is $RRAMSIM_PYTHON or /usr/bin/python3; the package is
 * found through PYTHONPATH (the source tree's python/ is prepended unless the package is
 * installed), the library through $RRAMSIM_LIB (set here to this build's library when unset). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_model_import.h"

#ifndef RRAMSIM_PYTHON_DIR
#define RRAMSIM_PYTHON_DIR ""
#endif
#ifndef RRAMSIM_PYLIB
#define RRAMSIM_PYLIB ""
#endif

int cli_cmd_model_pyimport(int argc, char **argv) {
  const char *py = getenv("RRAMSIM_PYTHON");
  if (!py || !*py) py = "/usr/bin/python3";
  if (access(py, X_OK) != 0)
    return cli_error("model",
                     "%s %s: %s not found: install python3 (bash .ci/setup) or set RRAMSIM_PYTHON",
                     argv[0], argc > 1 ? argv[1] : "", py);
  if (*RRAMSIM_PYTHON_DIR) {
    const char *old = getenv("PYTHONPATH");
    size_t n = strlen(RRAMSIM_PYTHON_DIR) + (old ? strlen(old) : 0) + 2;
    char *pp = (char *)malloc(n);
    if (!pp) return cli_error("model", "out of memory");
    snprintf(pp, n, "%s%s%s", RRAMSIM_PYTHON_DIR, old && *old ? ":" : "", old && *old ? old : "");
    setenv("PYTHONPATH", pp, 1);
    free(pp);
  }
  if (*RRAMSIM_PYLIB && !getenv("RRAMSIM_LIB") && access(RRAMSIM_PYLIB, R_OK) == 0)
    setenv("RRAMSIM_LIB", RRAMSIM_PYLIB, 1);
  char **args = (char **)calloc((size_t)argc + 4, sizeof *args);
  if (!args) return cli_error("model", "out of memory");
  /* Not `python3 -m rramsim.cli`: that imports the package (its native library, NumPy, cffi)
   * before any handler of ours runs, so a package that cannot load ended in a traceback. The
   * bootstrap imports it inside a handler and prints one line. */
  static const char boot[] =
      "import sys\n"
      "try:\n"
      "    import importlib\n"
      "    cli = importlib.import_module('rramsim.cli')\n"
      "except Exception as e:\n"
      "    sys.stderr.write('rramsim model: the Python package cannot load: %s (bash .ci/setup "
      "installs python3-numpy, python3-cffi, python3-onnx; build the rramsim_py target)\\n' % e)\n"
      "    sys.exit(1)\n"
      "sys.exit(cli.main(sys.argv[1:]))\n";
  args[0] = (char *)py;
  args[1] = (char *)"-c";
  args[2] = (char *)boot;
  for (int i = 0; i < argc; ++i) args[3 + i] = argv[i];
  fflush(stdout);
  execv(py, args);
  free(args);
  return cli_error("model", "%s: cannot run %s", argv[0], py);
}
