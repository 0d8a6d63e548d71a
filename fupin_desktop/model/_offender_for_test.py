from fupin_desktop.services import uow  # noqa
