"""`python -m kpiscan …` runs the command line, as the `kpiscan` script does."""
from kpiscan.cli import main

main()
