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
