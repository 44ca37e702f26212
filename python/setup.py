"""`pip install ./python --no-build-isolation --no-index` (Debian's python3-setuptools, offline).

The package is pure Python plus the shared library the CMake build makes (target rramsim_py,
build/<preset>/python/librramsim.so, and beside it rramsim_cdef.i, the C declarations cffi reads),
which are copied into rramsim/_lib/ (with the rramsim CLI, when it is built, for
run_system/simulate). Set RRAMSIM_LIB / RRAMSIM_CLI to choose other files.
"""
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def find(env, rel):
    if os.environ.get(env):
        return os.environ[env]
    for preset in ("release", "debug"):
        p = os.path.join(REPO, "build", preset, rel)
        if os.path.isfile(p):
            return p
    return None


class BuildWithLib(build_py):
    def run(self):
        super().run()
        lib = find("RRAMSIM_LIB", os.path.join("python", "librramsim.so"))
        if not lib:
            raise SystemExit("rramsim: build the library first: cmake --preset release && "
                             "cmake --build build/release --target rramsim_py (or set RRAMSIM_LIB)")
        dst = os.path.join(self.build_lib, "rramsim", "_lib")
        os.makedirs(dst, exist_ok=True)
        shutil.copy2(lib, os.path.join(dst, "librramsim.so"))
        # The C declarations cffi reads (rramsim/_native.py), made beside the library.
        shutil.copy2(os.path.join(os.path.dirname(lib), "rramsim_cdef.i"),
                     os.path.join(dst, "rramsim_cdef.i"))
        cli = find("RRAMSIM_CLI", os.path.join("apps", "rramsim"))
        if cli:
            shutil.copy2(cli, os.path.join(dst, "rramsim"))


setup(
    name="rramsim",
    version="0.1.0",
    description="Python binding of the rramsim BNN engine and RRAM memory simulator",
    packages=["rramsim"],
    python_requires=">=3.9",
    install_requires=["numpy", "cffi"],
    extras_require={"onnx": ["onnx"]},
    cmdclass={"build_py": BuildWithLib},
)
