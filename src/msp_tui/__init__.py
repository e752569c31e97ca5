"""msp-tui: a Provider Portal for managed service providers, in the terminal."""

__version__ = "0.1.0"
