"""Continuous training for schedulers: ``python -m core.retrain --project P`` retrains the
champion's recipe on the newest labelled data, registers a challenger, runs the model gate
and pre-fills the canary (arguments and exit codes: :mod:`core.gates.retrain`)."""

from core.gates.retrain import main

if __name__ == "__main__":
    raise SystemExit(main())
