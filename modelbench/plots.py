"""``modelbench.plots``: the dashboard's figures as matplotlib functions (extra ``notebook``).

See ``modelbench.notebook.plots``; this module only makes ``import modelbench.plots`` work.
"""

from modelbench.notebook.plots import *  # noqa: F403
from modelbench.notebook.plots import __all__ as __all__
