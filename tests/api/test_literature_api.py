"""A study's literature corpus over the REST API: upload (atomic, row errors), list, scoping."""

from novelty.models import LiteraturePaper

URL = "/api/v1/studies/alices/literature/"


def test_upload_csv_then_list(api, study):
    body = "id,title,abstract,year,venue\nL1,Tides,Forecasting tides.,2020,V\nL2,Bees,Counting bees.,2021,\n"
    response = api.post(URL, body, content_type="text/csv")
    assert response.status_code == 201, response.content
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    listed = api.get(URL).json()
    assert listed["count"] == 2
    assert listed["results"][0] == {"id": "L1", "title": "Tides", "abstract": "Forecasting tides.", "date": "2020",
                                    "year": 2020, "venue": "V"}


def test_upload_with_dates(api, study):
    response = api.post(URL, [{"id": "L1", "title": "T", "abstract": "A", "date": "2016-11-04"}], format="json")
    assert response.status_code == 201, response.content
    assert api.get(URL).json()["results"][0]["date"] == "2016-11-04"


def test_bad_rows_store_nothing(api, study):
    response = api.post(URL, [{"id": "L1", "title": "T", "abstract": "A", "year": 2020},
                              {"id": "L2", "title": "T", "abstract": "A", "year": "soon"}], format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"line": 2, "reason": "`year` must be a four-digit year, not 'soon'"}]
    assert LiteraturePaper.objects.count() == 0


def test_another_users_study_is_404(bob_api, study):
    assert bob_api.get(URL).status_code == 404
    response = bob_api.post(URL, "id,title,abstract,year\nL1,T,A,2020\n", content_type="text/csv")
    assert response.status_code == 404
    assert LiteraturePaper.objects.count() == 0
