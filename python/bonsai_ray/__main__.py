"""`python -m bonsai_ray` runs the `bonsai-ray` command."""
from bonsai_ray.cli import main

main()
