"""The soft-ranking weights in one place, so placing a chain and scoring it weigh alike."""

# Ranking weights: a plan's penalty is the sum below; its score is minus that.
W_SWITCH = 100.0  # each change of provider between consecutive sessions
W_INTERVAL = 3.0  # each day an interval is off its target
W_COMPLETION = 1.0  # each day from the first allowed date to the last session
W_TIME_OF_DAY = 2.0  # each hour a session's local start differs from the first session's
W_WEEKDAY = 15.0  # each visit on a weekday the patient did not prefer
W_HOURS = 10.0  # each visit outside the patient's preferred hours
W_FOLLOWUP_PROVIDER = 10.0  # each follow-up not with its session's provider
W_FOLLOWUP_DELAY = 0.5  # each day a follow-up comes after the first day of its window
W_FOLLOWUP_TIME = 0.25  # each hour a follow-up's local start differs from its session's
