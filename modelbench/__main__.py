from modelbench.cli import entry

entry()
