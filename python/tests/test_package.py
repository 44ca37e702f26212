"""The package itself: help(rramsim) documents it; `pip install ./python` works offline; the
simulated-system calls run in a child rramsim process."""
import os
import shutil
import subprocess
import sys

import pytest

import rramsim

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)


def test_help_documents_the_api():
    r = subprocess.run([sys.executable, "-c", "import rramsim; help(rramsim)"],
                       capture_output=True, text=True, env=dict(os.environ, PAGER="cat"))
    assert r.returncode == 0, r.stderr
    for name in ("import_onnx", "evaluate", "ber_sweep", "predict", "run_system", "child"):
        assert name in r.stdout, name


def test_pip_install_offline(tmp_path):
    # A copy of python/ (setuptools builds in the source directory; keep the checkout clean).
    src = str(tmp_path / "python")
    shutil.copytree(PKG, src, ignore=shutil.ignore_patterns("tests", "build", "*.egg-info",
                                                            "__pycache__"))
    target = str(tmp_path / "site")
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation",
                        "--no-index", "--no-deps", "--target", target, src],
                       capture_output=True, text=True,
                       env=dict(os.environ, PIP_NO_CACHE_DIR="1", RRAMSIM_LIB=rramsim.LIBPATH,
                                RRAMSIM_CLI=rramsim.cli_path()))
    assert r.returncode == 0, r.stdout + r.stderr
    assert os.path.isfile(os.path.join(target, "rramsim", "_lib", "librramsim.so"))
    assert os.path.isfile(os.path.join(target, "rramsim", "_lib", "rramsim_cdef.i"))
    env = {k: v for k, v in os.environ.items() if k not in ("RRAMSIM_LIB", "PYTHONPATH")}
    env["PYTHONPATH"] = target
    r = subprocess.run([sys.executable, "-c", "import rramsim; print(rramsim.LIBPATH)"],
                       capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith(target)


def test_declarations_come_from_the_headers(tmp_path):
    # The enums cffi knows are the headers' (rramsim_cdef.i beside the library): the library
    # names every one of their values, and no two alike.
    from rramsim._native import ffi, lib
    for enum, to_str in (("bnn_status", lib.bnn_status_str), ("bnn_layer_kind",
                         lib.bnn_layer_kind_str), ("bnn_kernel", lib.bnn_kernel_str)):
        values = [v for v, name in ffi.typeof(enum).elements.items()
                  if not name.endswith("_COUNT")]
        names = [ffi.string(to_str(v)).decode() for v in values]
        assert len(values) >= 3 and len(set(names)) == len(names), (enum, names)
        assert not [n for n in names if n.startswith("unknown")], (enum, names)
    # A library without its declarations beside it is refused, naming the file.
    shutil.copy2(rramsim.LIBPATH, str(tmp_path / "librramsim.so"))
    env = dict(os.environ, RRAMSIM_LIB=str(tmp_path / "librramsim.so"), PYTHONPATH=PKG)
    r = subprocess.run([sys.executable, "-c", "import rramsim"], capture_output=True, text=True,
                       env=env, cwd=str(tmp_path))
    assert r.returncode != 0
    assert (str(tmp_path / "rramsim_cdef.i") + ": cannot read the C declarations built with the "
            "library") in r.stderr, r.stderr


def test_run_system_and_simulate(mlp):
    repo = os.path.dirname(PKG)
    system = os.path.join(repo, "configs", "systems", "small.json")
    if not os.path.isfile(system):
        pytest.skip("no configs/systems/small.json")
    m, _ = rramsim.import_onnx(mlp[1])
    r = rramsim.run_system(m, "--system", system, "--limit", 20, "--quiet")
    assert "summary" in r and isinstance(r["summary"], dict)
    s = rramsim.simulate("--system", system, "--requests", 200, "--quiet")
    assert isinstance(s, dict) and s
