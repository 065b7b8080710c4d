"""callpoint: one press on a call point becomes the right picture, recorded, on the right screen."""

__version__ = "0.1.0"
