"""The hardware half of the partitioning: partition registers and checkers."""
