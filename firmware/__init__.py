"""zerovisor."""
