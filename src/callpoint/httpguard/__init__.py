"""Limits every HTTP port of ours holds against hostile peers (issue 11).

A request is read whole and bounded (`body`); connections are counted per peer and in
total, timed, and the oldest idle ones shed first (`book`, `guard`); routes carry body
limits sized to what they take (`middleware`).
"""
