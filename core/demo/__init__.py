"""The demo project (claims triage at Northwind Insurance): the data generator, its brief
and the seeding of every stage's results. Sits on top of the stages: it imports them, no
stage imports it, and nothing demo-specific lives anywhere else.

* ``generator``: the seeded synthetic claims, production stream and annotations;
* ``brief``, ``split``, ``labels``, ``runs``, ``rollouts``, ``monitoring``: one stage each;
* ``governance``: the sign-offs of the four gates and the team's limitations;
* ``seed``: :func:`seed_demo`, run on a pristine database at first start.
"""

from core.demo.seed import DEMO_PROJECT, seed_demo

__all__ = ["DEMO_PROJECT", "seed_demo"]
