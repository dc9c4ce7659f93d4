"""Automatic territory design: balanced, compact, contiguous territories (no Qt).

``make_problem`` states the request over a project's units, ``solve`` runs METIS + repair +
local search (balance, then compactness inside the tolerance band) and returns a ``Solution``.
"""
from territory_desk.domain.optimize.problem import Constraint, InfeasibleError, Problem, check_feasible, make_problem, parse_tolerance
from territory_desk.domain.optimize.solver import Solution, solve

__all__ = ["Constraint", "InfeasibleError", "Problem", "Solution", "check_feasible", "make_problem",
           "parse_tolerance", "solve"]
