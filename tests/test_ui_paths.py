"""Odd URLs go to the page they name instead of a blank page."""

from ui.paths import page_redirect

PAGES = ["build_and_step", "decision_boundary"]


def test_an_extra_segment_goes_back_to_its_page():
    assert page_redirect("/decision_boundary/extra", PAGES) == "../decision_boundary"
    assert page_redirect("/app_pages/build_and_step.py", PAGES) == "../build_and_step"
    assert page_redirect("/a/b/c", PAGES) == "../../"  # no page named: home


def test_real_pages_and_streamlits_own_paths_are_served():
    for path in ("/", "/decision_boundary", "/nope", "/_stcore/health", "/static/js/x.js",
                 "/app/static/vendor/katex/katex.min.js", "/media/abc.png", "/a//b"):  # fmt: skip
        assert page_redirect(path, PAGES) is None, path


def test_a_base_url_path_is_kept():
    assert page_redirect("/course/decision_boundary/x", PAGES, "course") == "../decision_boundary"
    assert page_redirect("/course/decision_boundary", PAGES, "/course/") is None
