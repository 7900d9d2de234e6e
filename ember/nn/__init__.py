"""ember.nn: modules, layers, losses, initialisation and helpers, as in ``torch.nn``."""
from .parameter import *  # noqa: F401,F403
from .module import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from . import functional, init, utils  # noqa: F401
