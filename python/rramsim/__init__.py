"""rramsim — Python binding of the rramsim BNN engine and RRAM memory simulator.

Bring your own BNN: import a PyTorch-trained binarized network from ONNX (or NumPy .npz), run it
in rramsim's bit-exact C engine on NumPy arrays with RRAM bit errors, predict and measure its bit
error tolerance, and run it on the simulated SystemC memory system.

Models
    import_onnx(path, input_scale="unit", input_shape=None) -> (Model, report)
    import_npz(path) -> (Model, report);  export_npz(model, path)
    Model.load(path), model.save(path), Model.from_layers(...), model.to_layers(),
    model.info(), model.layer_table()
Running (in process, libbnn / libbet through cffi; NumPy in, NumPy arrays and dicts out)
    evaluate(model, images, labels, ber_write=0, ber_read=0, reps=1, seed=1, ...) -> dict
        (same loop, seeds and accuracies as `rramsim eval`)
    ber_sweep(model, images, labels, bers, reps=1, seed=1) -> dict of columns
        (as `rramsim eval --ber-sweep`; pandas.DataFrame(r) takes it as is)
    scores(model, images) -> (int32 scores, predictions)
    predict(model, images, labels, bers) -> analytic accuracy vs BER (`rramsim predict`)
    margins(model, images, labels, ber) -> BET margin metrics (`rramsim metric`)
    load_dataset("fashion-mnist", "test") -> (uint8 images (n, H, W, C), labels)
The simulated memory system (a child `rramsim` process per call: SystemC elaborates once per
process)
    run_system(model, *cli_args) -> {'summary', 'stats'}   (`rramsim run`)
    simulate(*cli_args) -> stats dict                        (`rramsim sim`)
    cli(*args) -> CompletedProcess                           (any `rramsim` command)
Errors: everything refused raises RramsimError with one line naming the file/node/key.

The shared library is found through $RRAMSIM_LIB, the installed package, or the checkout's
build/release/python/librramsim.so; the CLI through $RRAMSIM_CLI, the package, the checkout's
build/release/apps/rramsim or PATH. See python/README.md and docs/python.md.
"""
from ._native import LIBPATH
from .errors import RramsimError
from .model import Model
from .npz import export_npz, import_npz
from .onnx_import import import_onnx, parse_input_scale
from .run import (ber_sweep, cli, cli_path, evaluate, load_dataset, margins, predict, run_system,
                  scores, simulate)

__version__ = "0.1.0"


def sweep_frame(result):
    """A ber_sweep result without its per_rep column (the scalar columns only)."""
    return {k: v for k, v in result.items() if k != "per_rep"}


__all__ = ["Model", "RramsimError", "import_onnx", "import_npz", "export_npz", "evaluate",
           "ber_sweep", "scores", "predict", "margins", "load_dataset", "run_system", "simulate",
           "cli", "cli_path", "sweep_frame", "parse_input_scale", "LIBPATH"]
