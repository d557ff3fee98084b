"""A route served directly (DirectRoute) answers as the app would, and leaves every other
request to the app."""

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.testclient import TestClient

from onestep_runtime.direct_route import DirectRoute
from onestep_runtime.problems import Problem, install_problem_handlers

through_the_router: list[str] = []


def noted(request: Request) -> None:
    through_the_router.append(f"{request.method} {request.url.path}")


router = APIRouter(dependencies=[Depends(noted)])


@router.post("/things", status_code=201)
async def make_thing(request: Request) -> Response:
    body = await request.json()
    if body.get("bad"):
        raise Problem(422, "The thing has problems", errors=[{"pointer": "#/bad", "detail": "not allowed"}])
    if body.get("crash"):
        raise RuntimeError("a bug")
    return Response(f'{{"made":"{body["name"]}","app":"{request.app.title}"}}', 201, media_type="application/json")


@router.get("/things")
async def list_things() -> list[str]:
    return []


def client(**kwargs) -> TestClient:
    app = FastAPI(title="things")
    install_problem_handlers(app)
    app.include_router(router, prefix="/v1")
    app.add_middleware(DirectRoute, method="POST", path="/v1/things", endpoint=make_thing)
    return TestClient(app, raise_server_exceptions=False, **kwargs)


def test_the_route_is_answered_by_its_endpoint_without_the_router():
    through_the_router.clear()
    response = client().post("/v1/things", json={"name": "lamp"})
    assert response.status_code == 201
    assert response.json() == {"made": "lamp", "app": "things"}
    assert through_the_router == []  # the route's dependency, which the router would have run


def test_a_problem_is_answered_as_the_apps_handlers_answer_it():
    response = client().post("/v1/things", json={"bad": True})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "The thing has problems",
        "status": 422,
        "instance": "/v1/things",
        "errors": [{"pointer": "#/bad", "detail": "not allowed"}],
    }


def test_any_other_exception_is_the_apps_500():
    response = client().post("/v1/things", json={"crash": True})
    assert response.status_code == 500


def test_other_methods_and_paths_go_through_the_app():
    through_the_router.clear()
    api = client()
    assert api.get("/v1/things").json() == []
    assert api.put("/v1/things", json={}).status_code == 405
    assert api.post("/v1/things/", json={"name": "lamp"}, follow_redirects=False).status_code == 307
    assert through_the_router[0] == "GET /v1/things"


def test_under_a_proxys_prefix_the_route_is_still_served_directly():
    through_the_router.clear()
    response = client(root_path="/intake").post("/v1/things", json={"name": "desk"})
    assert response.status_code == 201
    assert through_the_router == []


def test_the_route_stays_in_the_apps_documentation():
    paths = client().app.openapi()["paths"]
    assert "post" in paths["/v1/things"]
