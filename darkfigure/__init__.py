"""darkfigure: estimate the hidden number of human trafficking victims in the UK."""

__version__ = "0.1.0"
