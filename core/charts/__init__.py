"""Plotly figures per stage, built from results (DataFrames and result dataclasses), never
from the database; every figure has a title, labelled axes and a legend where it has series.

``data`` and ``splits`` (Data page), ``labeling``, ``training``, ``analysis`` (Error
analysis), ``deploy``, ``monitoring``: one module per page; ``governance``: the figures of
the stakeholder report and the guided tour.
"""
