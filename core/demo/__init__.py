"""The demo project (claims triage at Northwind Insurance): the data generator, its brief
and the seeding of every stage's results. Sits on top of the stages: it imports them, no
stage imports it, and nothing demo-specific lives anywhere else.

* ``generator``: the seeded synthetic claims, production stream and annotations;
* ``brief``, ``split``, ``labels``, ``runs``, ``rollouts``, ``monitoring``: one stage each;
* ``governance``: the sign-offs of the four gates and the team's limitations;
* ``seed``: the seeding as named, resumable steps: :func:`ensure_demo` at each start (what
  the Overview needs at once, the rest as a job), :func:`seed_demo` all at once.
"""

from core.demo.seed import (
    DEMO_PROJECT,
    JOB_KIND,
    OVERVIEW_STEPS,
    ensure_demo,
    missing_steps,
    prepare_demo,
    seed_demo,
    steps_to_seed,
)

__all__ = ["DEMO_PROJECT", "JOB_KIND", "OVERVIEW_STEPS", "ensure_demo", "missing_steps", "prepare_demo",
           "seed_demo", "steps_to_seed"]
