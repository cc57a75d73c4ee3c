"""`python -m bonsai_calibrate`: the same as the `bonsai-calibrate` command."""
from bonsai_calibrate.cli import main

main()
