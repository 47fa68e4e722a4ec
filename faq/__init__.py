"""Vietnamese FAQ search for police administrative procedures: analyse, index, search, evaluate."""

__version__ = "0.1.0"
