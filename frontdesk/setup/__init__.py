"""The set-up pages' forms: the clinic in its own terms, every time in the location's zone."""
