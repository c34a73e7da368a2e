"""codeforge: train and evaluate code models with sandboxed execution and program graphs."""

__version__ = "0.1.0"
