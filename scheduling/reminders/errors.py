"""How a channel says a message did not go: worth another try, or never going to work."""


class DeliveryError(Exception):
    transient = True


class TransientDeliveryError(DeliveryError):
    """The provider or the network had a moment: retry later with backoff."""

    transient = True


class PermanentDeliveryError(DeliveryError):
    """The provider refused this message (bad number, rejected address): retrying will not help."""

    transient = False
