"""The rule catalogue (SPEC §7–§8). Importing this package registers every rule.

``_common`` comes first: it registers the rule that resets the per-household facts cache, which must
run before every other rule of a check.
"""

from . import _common  # noqa: F401  (first: see above)
from . import identity  # noqa: F401
from . import structure  # noqa: F401
from . import members  # noqa: F401
from . import conditions  # noqa: F401
from . import income  # noqa: F401
from . import monitoring  # noqa: F401
from . import exit  # noqa: F401
from . import contact  # noqa: F401
from . import required  # noqa: F401
from . import procedure  # noqa: F401
from . import expense  # noqa: F401
from . import lowincome  # noqa: F401
