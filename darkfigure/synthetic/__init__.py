"""A synthetic nation with known truth: victims, organisations, noisy returns.

Nobody can share real victim records, so the demo, the end-to-end tests and the
accuracy studies run on a simulated nation whose true number of victims is
known.  Entry point: :func:`simulate_nation`; the truth is read back with
:func:`read_truth`.
"""

from darkfigure.synthetic.nation import DEFAULT_SIZE, Nation, NationConfig, simulate_nation
from darkfigure.synthetic.truth import Truth, read_truth

__all__ = ["DEFAULT_SIZE", "Nation", "NationConfig", "Truth", "read_truth", "simulate_nation"]
