import sys
from pathlib import Path

# The tests import their helpers (_driver) from this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))
