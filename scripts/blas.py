"""Which BLAS this process runs on: Debian's NumPy and PyTorch call whichever libblas.so.3 the
system's alternatives point to, and the reference BLAS is far slower than OpenBLAS (2.4 GFLOP/s
here), enough to turn a peer comparison upside down. The benches report it so `npm run bench` can warn."""
import re


def loaded_blas() -> str:
    """The real path of the libblas.so.3 this process mapped (its directory names the
    implementation: .../blas/ is the reference, .../openblas-openmp/ OpenBLAS); without one (a
    build linked to MKL, OpenBLAS or BLIS directly), those libraries' paths; else "" ."""
    with open("/proc/self/maps") as maps:
        mapped = maps.read()
    paths = set(re.findall(r"(/\S*/libblas\.so[^/\s]*)$", mapped, re.M))
    paths = paths or set(re.findall(r"(/\S*/lib(?:mkl_rt|openblas|blis)[^/\s]*\.so[^/\s]*)$", mapped, re.M))
    return ", ".join(sorted(paths))
