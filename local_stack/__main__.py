"""``python -m local_stack``: the whole service locally (``make run``)."""

import sys

from local_stack.template import ROOT

# The simulator reads numbers as Taramoney would, with the domain's phone module.
sys.path.insert(0, str(ROOT / "layers" / "payments"))

from local_stack.runner import main

main()
