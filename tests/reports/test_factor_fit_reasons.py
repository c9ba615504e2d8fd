"""A factor fit that did not converge or is improper is shown with its reason, never as a bare
number (report section 2)."""
from reports.cells import cell
from reports.consistency_section import _fitted, _proper
from reports.render import _cfa_text, _omega_h_text


def test_a_fit_that_did_not_converge_is_its_reason():
    figure = {"estimate": None, "omega_total": None, "omega_hierarchical": None, "n": 50, "n_factors": 3,
              "converged": False, "warnings": ["The factor fit did not converge within 2000 iterations; its "
                                               "loadings are not a solution."]}
    out = _proper(figure)
    assert out == {"error": figure["warnings"][0], "converged": False, "n": 50}
    assert _omega_h_text(out).startswith("not computed: The factor fit did not converge within 2000")


def test_an_improper_converged_fit_keeps_its_numbers_with_the_problem_beside_them():
    problem = "The factor solution is improper (a Heywood case): 1 item(s) have a communality above 1 (largest 1.020)."
    omega_h = _proper({"omega_total": 0.9, "omega_hierarchical": 0.7, "n": 300, "n_factors": 3, "converged": True,
                       "warnings": [problem]})
    assert omega_h["fit_problems"] == [problem] and "warnings" not in omega_h
    assert _omega_h_text(omega_h).endswith(problem)
    cfa = _fitted({"cfi": 0.95, "tli": 0.93, "rmsea": 0.05, "srmr": 0.04, "n": 300, "chisq": 9.0, "df": 5,
                   "converged": True, "warnings": ["The maximum-likelihood solution is improper (a Heywood case)."]})
    assert _cfa_text(cfa).endswith("The maximum-likelihood solution is improper (a Heywood case).")


def test_an_unidentified_model_is_its_reason():
    # what attempt() records for omega's ValueError
    figure = _proper({"error": "The items show fewer than 3 common factors: ..."})
    assert cell(figure) == "not computed: The items show fewer than 3 common factors: ..."
