"""What every benchmark does before it imports the engine: install the checkout's features as
merzim's entry installs them. A benchmark imports it (`import bench.boot`) right after it puts
the repository root on `sys.path`; an older tree, measured as the previous head, has no list of
features, and then nothing is installed."""

try:
    from workflow.installed import install
except ImportError:
    pass
else:
    install()


def import_bench() -> object:
    """bench/import/run.py as a module (`import` is a keyword: it cannot be imported by its
    path), for the benchmarks that build their databases with its `fresh_database()`."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "bench_import", Path(__file__).resolve().parent / "import" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
